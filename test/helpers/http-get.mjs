#!/usr/bin/env node
// One HTTP GET from a chosen local address, for tests that run it inside a network namespace:
//   node http-get.mjs URL LOCAL_ADDRESS
// Prints one JSON line: {"status", "body"} or {"error"} (e.g. ECONNREFUSED).

import { request } from 'node:http';

const [url, localAddress] = process.argv.slice(2);
const req = request(url, { localAddress, signal: AbortSignal.timeout(5000) }, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (d) => (body += d));
  res.on('end', () => {
    process.stdout.write(JSON.stringify({ status: res.statusCode, body }) + '\n');
  });
});
req.on('error', (err) => process.stdout.write(JSON.stringify({ error: err.code ?? err.message }) + '\n'));
req.end();
