#!/usr/bin/env node
// One MQTT login attempt from a given local address, for tests that run it inside a network namespace:
//   node mqtt-login.mjs HOST PORT USER PASSWORD LOCAL_ADDRESS
// Prints "ok", "refused" (the broker said not authorised) or "unreachable <code>" (no connection).

import { createConnection } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { MqttClient } = require('mqtt');
const [host, port, username, password, localAddress] = process.argv.slice(2);

const client = new MqttClient(() => createConnection({ host, port: Number(port), localAddress }), {
  clientId: `login-${process.pid}`,
  username,
  password,
  reconnectPeriod: 0,
  connectTimeout: 3000,
  protocolVersion: 4,
});
const done = (text) => {
  process.stdout.write(text + '\n');
  client.end(true);
  process.exit(0);
};
client.on('connect', () => done('ok'));
client.on('error', (err) => {
  if (/not authori[sz]ed|bad user/i.test(err.message)) done('refused');
  else done(`unreachable ${err.code ?? err.message}`);
});
client.on('close', () => done('unreachable closed'));
setTimeout(() => done('unreachable timeout'), 4000);
