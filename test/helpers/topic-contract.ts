// The daemon's typed topic contract (daemon/telemetry/topics.ts) as patterns, to check that a topic a
// flow or a node uses is one the daemon documents: every topic of topicsFor(prefix, gateway), with one
// topic level (a name or `+`) where a tank id or a user name goes.

import { topicsFor } from '../../daemon/telemetry/topics.js';

export function contractPatterns(prefix: string, gateway: string): RegExp[] {
  const ONE = '\u0000';
  const t = topicsFor(prefix, gateway);
  const templates = [
    t.status,
    t.system,
    t.tankState(ONE),
    t.tankEvent(ONE),
    t.command(ONE),
    t.commandFilter,
    t.result(ONE),
  ];
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return templates.map((tpl) => new RegExp(`^${tpl.split(ONE).map(escape).join('[^/#]+')}$`));
}

export function inContract(topic: string, prefix: string, gateway: string): boolean {
  return contractPatterns(prefix, gateway).some((p) => p.test(topic));
}
