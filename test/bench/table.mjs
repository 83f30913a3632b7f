// The one table of `npm run bench`: every figure the README quotes, with the reference measured in the same
// run, their ratio, the goal, and how it was measured. Pure: bench results in, rows out.

const fmt = (x, digits = 1) =>
  x === undefined || x === null || Number.isNaN(x)
    ? '—'
    : Number(x).toLocaleString('en', { maximumFractionDigits: digits });
const ratio = (a, b) => (a && b ? `×${fmt(a / b, 2)}` : '—');
/** " [low-high]" of the RSS samples behind a median, when the bench kept them. */
const range = (m) => (m.rssRangeMb ? ` [${fmt(m.rssRangeMb[0])}-${fmt(m.rssRangeMb[1])}]` : '');

/** @typedef {{ measure: string, figure: string, reference: string, ratio: string, goal: string, how: string }} Row */

/** @type {Record<string, (r: any) => Row[]>} */
const ROWS = {
  sim: (r) =>
    r.runs.map((x) => ({
      measure: `simulator: a year, ${x.label}`,
      figure: `${fmt(x.wallMs / 1000)} s`,
      reference: '—',
      ratio: '—',
      goal: '≤ 10 s',
      how: `smart-tank sim --days ${r.days}, wall time, one process`,
    })),
  campaign: (r) => [
    {
      measure: 'fault campaign',
      figure: `${fmt(r.tankDaysPerS)} tank-days/s; ${r.overfills} overfills, ${r.dryRuns} dry runs`,
      reference: '—',
      ratio: '—',
      goal: '0 overfills, 0 dry runs',
      how: `${fmt(r.tankDays, 0)} tank-days (${r.runs} runs, seed ${r.seed}), worker threads on every core`,
    },
  ],
  daemon: (r) => [
    {
      measure: 'daemon start to READY=1',
      figure: `${r.startToReadyMs} ms${r.startToReadyRangeMs ? ` [${r.startToReadyRangeMs.join('-')}]` : ''}`,
      reference: '—',
      ratio: '—',
      goal: '≤ 500 ms',
      how: `median of ${r.starts ?? 1} starts from an empty state folder, spawn of node included, sd_notify socket`,
    },
    {
      measure: 'daemon idle CPU (2 tanks, embedded broker, dashboard)',
      figure: `${fmt(r.daemon.idleCpuPct, 2)} %`,
      reference: `bare node ${fmt(r.bareNode.idleCpuPct, 2)} %`,
      ratio: '—',
      goal: '≤ 0.3 % of a core',
      how: '/proc/PID/stat over 30 s, from 35 s after start (at rest)',
    },
    {
      measure: 'daemon RSS (2 tanks, embedded broker, dashboard)',
      figure: `${fmt(r.daemon.rssMb)} MB`,
      reference: `bare node ${fmt(r.bareNode.rssMb)} MB`,
      ratio: ratio(r.daemon.rssMb, r.bareNode.rssMb),
      goal: '—',
      how: 'VmRSS at rest',
    },
  ],
  mosquitto: (r) => [
    {
      measure: 'daemon RSS as a Mosquitto client, dashboard idle',
      figure: `${fmt(r.daemon.rssMb)} MB`,
      reference: `hand-written floor ${fmt(r.handWritten.rssMb)} MB`,
      ratio: ratio(r.daemon.rssMb, r.handWritten.rssMb),
      goal: '≤ ×1.2',
      how: 'VmRSS at rest, both on one Mosquitto',
    },
    {
      measure: 'command → answer (checked, applied, answered)',
      figure: `p50 ${fmt(r.commandToAnswerMs.p50, 2)} ms, p99 ${fmt(r.commandToAnswerMs.p99, 2)} ms`,
      reference: '—',
      ratio: '—',
      goal: 'p99 ≤ 5 ms',
      how: '300 commands through Mosquitto, MQTT 5 client',
    },
  ],
  compare: (r) => {
    const p = r.plain;
    const t = r.tuned;
    return [
      {
        measure: 'RSS: daemon (Mosquitto client, dashboard) vs floor',
        figure: `${fmt(p.daemon.rssMb)} MB${range(p.daemon)} (${r.tuningFlag}: ${fmt(t.daemon.rssMb)})`,
        reference: `floor ${fmt(p.floor.rssMb)} MB${range(p.floor)} (${fmt(t.floor.rssMb)})`,
        ratio: `${ratio(p.daemon.rssMb, p.floor.rssMb)} (${ratio(t.daemon.rssMb, t.floor.rssMb)})`,
        goal: '≤ ×1.2',
        how: 'VmRSS at rest: median of 20 samples, one a second from 35 s after start; same run',
      },
      {
        measure: 'RSS: daemon vs Node-RED (paper flow + the rule)',
        figure: `${fmt(p.daemon.rssMb)} MB`,
        reference: `Node-RED ${fmt(p.nodeRed.rssMb)} MB${range(p.nodeRed)} (${fmt(t.nodeRed.rssMb)})`,
        ratio: `${ratio(p.daemon.rssMb, p.nodeRed.rssMb)} (${ratio(t.daemon.rssMb, t.nodeRed.rssMb)})`,
        goal: '≤ ×0.6',
        how: 'VmRSS at rest, same run',
      },
      {
        measure: 'daemon + Mosquitto + Node-RED (paper flow)',
        figure: `${fmt(p.daemon.rssMb + p.nodeRed.rssMb + 6)} MB`,
        reference: '—',
        ratio: '—',
        goal: '≤ 350 MB (Pi Zero 2 W)',
        how: 'sum of VmRSS; Mosquitto counted as 6 MB (see pizero)',
      },
      {
        measure: 'control reaction',
        figure: `daemon tick p50 ${fmt(p.daemon.tick.p50Ms, 2)} ms, p99 ${fmt(p.daemon.tick.p99Ms, 2)} ms`,
        reference: `floor p99 ${fmt(p.floor.reaction.p99Ms, 2)} ms, Node-RED p99 ${fmt(p.nodeRed.reaction.p99Ms, 2)} ms`,
        ratio: '—',
        goal: 'p99 ≤ 5 ms',
        how: `daemon: read → decide → write (its controlLoop); the others: level in → valve out over MQTT, ${r.crossings} crossings`,
      },
      {
        measure: 'start time',
        figure: `daemon ${p.daemon.startMs} ms (to MQTT connected)`,
        reference: `floor ${p.floor.startMs} ms, Node-RED ${p.nodeRed.startMs} ms`,
        ratio: ratio(p.daemon.startMs, p.nodeRed.startMs),
        goal: '—',
        how: 'spawn → ready line',
      },
    ];
  },
  sd: (r) => [
    {
      measure: 'SD card writes',
      figure: `${fmt(r.perDayMb, 2)} MB/day`,
      reference: '—',
      ratio: '—',
      goal: '≤ 10 MB/day',
      how: `/proc/PID/io write_bytes over ${r.simulatedHours} accelerated simulated hours`,
    },
  ],
  vpn: (r) => [
    {
      measure: 'MQTT phone → gateway over WireGuard',
      figure: `median ${fmt(r.wireguard.medianMs, 2)} ms`,
      reference: `plain link ${fmt(r.plain.medianMs, 2)} ms`,
      ratio: `×${r.ratio.wireguardMedian} (report: ×${r.reference.ratio})`,
      goal: 'about the report’s ratio',
      how: `${r.messagesPerPath} messages per path, namespaces with wireguard-go`,
    },
    {
      measure: 'MQTT phone → gateway over OpenVPN',
      figure: `median ${fmt(r.openvpn.medianMs, 2)} ms`,
      reference: `plain link ${fmt(r.plain.medianMs, 2)} ms`,
      ratio: `×${r.ratio.openvpnMedian}`,
      goal: '—',
      how: 'the same path through openvpn',
    },
  ],
  web: (r) => [
    {
      measure: 'dashboard: RSS added, idle / 5 phones streaming',
      figure: `+${fmt(r.rssMb.addedIdle)} / +${fmt(r.rssMb.added5Streams)} MB`,
      reference: `the daemon without it ${fmt(r.rssMb.withoutDashboard)} MB`,
      ratio: ratio(r.rssMb.withDashboardIdle, r.rssMb.withoutDashboard),
      goal: '≤ 6 / ≤ 12 MB',
      how: 'two daemons side by side, web.enabled false in one',
    },
    {
      measure: 'dashboard: first view over the wire',
      figure: `${fmt(r.firstViewKb.firstView)} KB (chart code: ${fmt(r.firstViewKb.withChart)} KB)`,
      reference: '—',
      ratio: '—',
      goal: '≤ 100 KB',
      how: 'Chromium, empty cache',
    },
    {
      measure: 'dashboard: 30-day trend page',
      figure: `${fmt(r.trend30d.maxMs)} ms server time`,
      reference: '—',
      ratio: '—',
      goal: '≤ 200 ms',
      how: 'computed (then cached a minute)',
    },
  ],
  fleet: (r) => {
    const normal = r.phases.find((p) => p.phase === 'normal');
    const killed = r.phases.find((p) => p.phase === 'node-killed');
    const lost = r.phases.reduce((n, p) => n + p.loss.lost, 0);
    return [
      {
        measure: `fleet: ${fmt(r.gateways, 0)} gateways, ${r.hubs} hubs, 3 RabbitMQ nodes`,
        figure: `p99 ${fmt(normal.latencyMs.p99, 1)} ms, ${lost} lost, hub CPU ≤ ${fmt(Math.max(...r.phases.map((p) => p.hubCpuPct.max)))} %`,
        reference: `node killed: p99 ${fmt(killed?.latencyMs.p99, 0)} ms`,
        ratio: '—',
        goal: '0 lost; p99 ≤ 50 ms; hub ≤ 25 %',
        how: 'raw MQTT sessions at the normal rate, a 10× burst, a central node killed',
      },
    ];
  },
  gpio: (r) => {
    const [server, v1, v2, v2i] = r.runs;
    const perMin = (x) => `${fmt(x.processesPerSample, 1)} per sample (${x.processesPerMinute} a minute)`;
    return [
      {
        measure: 'GPIO chardev: processes per probe sample (3 electrodes, excitation, reversal)',
        figure: `line server: ${perMin(server)}; ${fmt(server.cpuMsPerSample, 1)} ms CPU per sample (server and daemon); server RSS ${fmt(server.serverRssMb, 1)} MB (PSS ${fmt(server.serverPssMb, 1)})`,
        reference: `gpiod tools: libgpiod 2 with gpioset -i ${perMin(v2i)}, ${fmt(v2i.cpuMsPerSample, 0)} ms CPU; 2 without -i ${perMin(v2)}; 1.6 ${perMin(v1)}`,
        ratio: `${server.processesPerMinute} vs ${v2i.processesPerMinute} a minute`,
        goal: '0 a minute at steady state on libgpiod 2',
        how: `${server.samples} samples each: the line server against the fake gpiochip (ioctl level); the tools are fake ones (real processes, each a node start: their CPU scales with the count, not a Pi's figure); ${r.samplesPerMinute} samples a minute`,
      },
    ];
  },
  pizero: (r) => [
    {
      measure: 'Pi Zero 2 W budget: daemon + Mosquitto under 256 MB and a quarter of one core',
      figure: `ticks late p99 ${fmt(r.daemon.tick.lateP99Ms, 1)} ms, tick p99 ${fmt(r.daemon.tick.p99Ms, 1)} ms; peak ${fmt(r.peakMb)} MB; ${r.oomKills} OOM kills`,
      reference: `unlimited: late p99 ${fmt(r.unlimited?.daemon.tick.lateP99Ms, 1)} ms`,
      ratio: '—',
      goal: 'ticks on time, no crash',
      how: r.how,
    },
  ],
};

export function benchRows(results) {
  return results.flatMap((r) => (ROWS[r.bench] ? ROWS[r.bench](r) : []));
}

export function markdownTable(rows) {
  const head = ['measure', 'figure', 'reference (same run)', 'ratio', 'goal', 'how measured'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows)
    lines.push(
      `| ${[r.measure, r.figure, r.reference, r.ratio, r.goal, r.how].map((c) => String(c).replaceAll('|', '/')).join(' | ')} |`,
    );
  return lines.join('\n');
}
