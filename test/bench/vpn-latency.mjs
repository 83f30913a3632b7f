#!/usr/bin/env node
// MQTT publish-to-receive latency from the farmer's phone to the gateway: over the WireGuard tunnel
// (userspace wireguard-go, through the hub as in the paper), over OpenVPN (same path), and over the plain
// link (the farm router forwarding the broker port), on the namespace network of the VPN tests
// (test/integration/vpn/netns.mjs). The broker on the gateway is Mosquitto, as on the Pi image.
//
// The phone publishes messages stamped with the monotonic clock; a subscriber on the gateway (loopback)
// takes the time of arrival on the same clock (one machine, CLOCK_MONOTONIC is shared by namespaces).
// One JSON line on stdout; progress and a summary on stderr. Needs root (namespaces).
//
//   node test/bench/vpn-latency.mjs        VPN_BENCH_MESSAGES=2000 (per path), VPN_BENCH_INTERVAL_MS=2

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ADDR,
  createTopology,
  requireTools,
  setupOpenVpn,
  setupWireGuard,
  sh,
  sweepStale,
  waitForOutput,
} from '../integration/vpn/netns.mjs';

const AGENT = new URL('../integration/vpn/mqtt-agent.mjs', import.meta.url).pathname;
const PORT = 1883;
const MESSAGES = Number(process.env.VPN_BENCH_MESSAGES ?? 2000);
const INTERVAL_MS = Number(process.env.VPN_BENCH_INTERVAL_MS ?? 2);
/** The first messages of a path warm up ARP, handshakes, TCP and JIT: not counted. */
const WARMUP = Math.min(200, Math.floor(MESSAGES / 10));
/** The reference report (seed 000, Table II): average MQTT latency, plain and over WireGuard. */
const REFERENCE = {
  plainMs: 1.832,
  wireguardMs: 4.002,
  ratio: 2.185,
  source: 'seed 000 Table II (averages)',
};

const log = (text) => process.stderr.write(`${text}\n`);

function stats(latenciesNs) {
  const ms = latenciesNs.map((ns) => ns / 1e6).sort((a, b) => a - b);
  const at = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
  const r3 = (x) => Math.round(x * 1000) / 1000;
  return {
    n: ms.length,
    medianMs: r3(at(0.5)),
    p99Ms: r3(at(0.99)),
    meanMs: r3(ms.reduce((s, x) => s + x, 0) / ms.length),
    minMs: r3(ms[0]),
  };
}

async function measure(topo, name, url) {
  const topic = `bench/${name}`;
  const sub = topo.spawn(topo.ns.gw, process.execPath, [
    AGENT,
    'latency-sub',
    `mqtt://127.0.0.1:${PORT}`,
    topic,
    String(MESSAGES),
    String(MESSAGES * INTERVAL_MS * 20 + 30_000),
  ]);
  await waitForOutput(sub, /"ready":true/, 15_000, `${name} subscriber`);
  const pub = await sh(
    'ip',
    [
      'netns',
      'exec',
      topo.ns.phone,
      process.execPath,
      AGENT,
      'latency-pub',
      url,
      topic,
      String(MESSAGES),
      String(INTERVAL_MS),
    ],
    { timeoutMs: MESSAGES * INTERVAL_MS * 20 + 30_000 },
  );
  if (!pub.stdout.includes('"sent"'))
    throw new Error(`${name}: publisher failed: ${pub.stdout} ${pub.stderr}`);
  await waitForOutput(sub, /"latenciesNs"/, 30_000, `${name} results`);
  const { latenciesNs } = JSON.parse(sub.output.find((l) => l.includes('"latenciesNs"')));
  if (latenciesNs.length < MESSAGES)
    throw new Error(`${name}: ${latenciesNs.length} of ${MESSAGES} messages arrived`);
  const s = stats(latenciesNs.slice(WARMUP));
  log(
    `  ${name.padEnd(9)} median ${s.medianMs} ms, p99 ${s.p99Ms} ms, mean ${s.meanMs} ms (${s.n} messages)`,
  );
  return s;
}

async function main() {
  await requireTools();
  await sweepStale();
  log('vpn latency: building the namespace network (hub, router, gateway, phone)');
  const topo = await createTopology({ tag: 'b', portForward: PORT });
  try {
    const wg = await setupWireGuard(topo);
    await wg.gatewayUp();
    const ovpn = await setupOpenVpn(topo);
    const gwOvpn = topo.spawn(topo.ns.gw, 'openvpn', [
      '--config',
      ovpn.gateway.profile,
      '--auth-user-pass',
      ovpn.gateway.authFile,
      '--data-ciphers',
      'CHACHA20-POLY1305',
    ]);
    await waitForOutput(gwOvpn, /Initialization Sequence Completed/, 15_000, 'gateway openvpn');

    const conf = join(topo.dir, 'mosquitto.conf');
    writeFileSync(conf, `user root\nlistener ${PORT} 0.0.0.0\nallow_anonymous true\n`);
    const broker = topo.spawn(topo.ns.gw, 'mosquitto', ['-c', conf]);
    await waitForOutput(broker, /running|Opening ipv4 listen socket/, 10_000, 'mosquitto');

    log(
      `vpn latency: ${MESSAGES} messages per path, one every ${INTERVAL_MS} ms, first ${WARMUP} not counted`,
    );
    const plain = await measure(topo, 'plain', `mqtt://${ADDR.routerWan}:${PORT}`);
    const wireguard = await measure(topo, 'wireguard', `mqtt://${ADDR.vpnGateway}:${PORT}`);
    const openvpn = await measure(topo, 'openvpn', `mqtt://${ADDR.ovpnGateway}:${PORT}`);
    const ratio = (a, b) => Math.round((a / b) * 100) / 100;
    const result = {
      messagesPerPath: MESSAGES,
      intervalMs: INTERVAL_MS,
      plain,
      wireguard,
      openvpn,
      ratio: {
        wireguardMedian: ratio(wireguard.medianMs, plain.medianMs),
        wireguardP99: ratio(wireguard.p99Ms, plain.p99Ms),
        wireguardMean: ratio(wireguard.meanMs, plain.meanMs),
        openvpnMedian: ratio(openvpn.medianMs, plain.medianMs),
        openvpnMean: ratio(openvpn.meanMs, plain.meanMs),
      },
      reference: REFERENCE,
      path: 'phone -> (hub, for the tunnels) -> farm NAT router -> gateway Mosquitto; one machine, namespaces',
    };
    log(
      `  WireGuard / plain: median x${result.ratio.wireguardMedian}, mean x${result.ratio.wireguardMean} ` +
        `(reference report: ${REFERENCE.wireguardMs} / ${REFERENCE.plainMs} ms = x${REFERENCE.ratio})`,
    );
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await topo.destroy();
  }
}

main().catch((err) => {
  process.stderr.write(`vpn latency bench failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
