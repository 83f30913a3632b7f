#!/usr/bin/env node
// A small MQTT / TCP client run inside a test namespace (`ip netns exec NS node mqtt-agent.mjs ...`), since
// the test process itself lives in the root namespace. One JSON line on stdout per result. Credentials
// come from MQTT_USER / MQTT_PASSWORD in the environment, never from the command line.
//
//   read URL TOPIC TIMEOUT_MS          first message on TOPIC (retained state): {"topic","payload"}
//   tcp HOST PORT TIMEOUT_MS           {"outcome": "connected" | "refused" | "timeout" | "unreachable" | code}
//   latency-sub URL TOPIC COUNT TIMEOUT_MS   prints {"ready":true}, then {"latenciesNs":[...]} once COUNT arrived
//   latency-pub URL TOPIC COUNT INTERVAL_MS  publishes COUNT messages stamped with the monotonic clock
//
// Latency: sender and receiver run on the same machine, so process.hrtime (CLOCK_MONOTONIC, shared by all
// processes and namespaces) taken at publish and at receipt gives the one-way publish-to-receive time.

import { createConnection } from 'node:net';
import mqtt from 'mqtt';

const [mode, ...args] = process.argv.slice(2);
const auth = process.env.MQTT_USER
  ? { username: process.env.MQTT_USER, password: process.env.MQTT_PASSWORD }
  : {};
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

function connect(url) {
  return mqtt.connectAsync(url, {
    ...auth,
    clientId: `agent-${mode}-${process.pid}`,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    protocolVersion: 4,
  });
}

async function read(url, topic, timeoutMs) {
  const timer = setTimeout(() => {
    out({ error: `no message on ${topic} within ${timeoutMs} ms` });
    process.exit(3);
  }, Number(timeoutMs));
  const client = await connect(url);
  client.on('message', async (t, payload) => {
    clearTimeout(timer);
    out({ topic: t, payload: payload.toString() });
    await client.endAsync(true);
    process.exit(0);
  });
  await client.subscribeAsync(topic, { qos: 0 });
}

function tcp(host, port, timeoutMs) {
  const socket = createConnection({ host, port: Number(port) });
  const done = (outcome) => {
    out({ outcome });
    socket.destroy();
    process.exit(0);
  };
  socket.setTimeout(Number(timeoutMs), () => done('timeout'));
  socket.on('connect', () => done('connected'));
  socket.on('error', (err) =>
    done(
      err.code === 'ECONNREFUSED'
        ? 'refused'
        : err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH'
          ? 'unreachable'
          : err.code,
    ),
  );
}

async function latencySub(url, topic, count, timeoutMs) {
  const client = await connect(url);
  const latenciesNs = [];
  const finish = async () => {
    out({ latenciesNs });
    await client.endAsync(true);
    process.exit(0);
  };
  setTimeout(finish, Number(timeoutMs));
  client.on('message', (_t, payload) => {
    const received = process.hrtime.bigint();
    latenciesNs.push(Number(received - BigInt(payload.toString())));
    if (latenciesNs.length >= Number(count)) void finish();
  });
  await client.subscribeAsync(topic, { qos: 0 });
  out({ ready: true });
}

async function latencyPub(url, topic, count, intervalMs) {
  const client = await connect(url);
  for (let i = 0; i < Number(count); i++) {
    client.publish(topic, process.hrtime.bigint().toString(), { qos: 0 });
    await new Promise((r) => setTimeout(r, Number(intervalMs)));
  }
  await client.endAsync();
  out({ sent: Number(count) });
  process.exit(0);
}

const modes = { read, tcp, 'latency-sub': latencySub, 'latency-pub': latencyPub };
if (!modes[mode]) {
  out({ error: `unknown mode ${mode}` });
  process.exit(2);
}
Promise.resolve(modes[mode](...args)).catch((err) => {
  out({ error: err.message });
  process.exit(4);
});
