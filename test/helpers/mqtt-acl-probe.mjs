#!/usr/bin/env node
// What one MQTT user may do on a broker, for tests that run it inside a network namespace:
//   node mqtt-acl-probe.mjs HOST PORT USER PASSWORD READ_TOPIC WRITE_TOPIC
// Connects with MQTT 5, subscribes READ_TOPIC and waits for one (retained) message, publishes to
// WRITE_TOPIC at QoS 1 (Mosquitto answers a publish the ACL denies with reason code 135). Prints one
// JSON line: {"login": "ok" | "refused", "received": [topics], "publish": "accepted" | "refused 135"}.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const mqtt = require('mqtt');
const [host, port, username, password, readTopic, writeTopic] = process.argv.slice(2);
/** A retained message arrives right after the subscription; generous for a loaded machine. */
const WAIT_MS = 4000;

const out = { login: 'refused', received: [], publish: 'not tried' };
const finish = () => {
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
};
const client = mqtt.connect({
  host,
  port: Number(port),
  username,
  password,
  protocolVersion: 5,
  reconnectPeriod: 0,
  connectTimeout: WAIT_MS,
  clientId: `acl-probe-${process.pid}`,
});
client.on('error', () => finish());
client.on('message', (topic) => out.received.push(topic));
client.on('connect', async () => {
  out.login = 'ok';
  await client.subscribeAsync(readTopic, { qos: 1 });
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, WAIT_MS);
    client.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  try {
    await client.publishAsync(writeTopic, '{"probe":true}', { qos: 1 });
    out.publish = 'accepted';
  } catch (err) {
    out.publish = `refused ${err.code ?? err.message}`;
  }
  client.end(true, finish);
});
setTimeout(finish, 3 * WAIT_MS);
