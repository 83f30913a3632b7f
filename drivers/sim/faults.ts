// Fault injection for the simulator: `KIND[@DAY][+HOURS][:TANK]`, e.g. `leak@3`, `power-cut@2.5+6`,
// `probe-open@1:house`. A fault starts DAY days into the run (default 1) and lasts HOURS (default: to the
// end of the run; a power cut defaults to 6 hours, since the point of one is that power comes back).

export const FAULT_KINDS = [
  'stuck-ultrasonic',
  'noisy-ultrasonic',
  'ultrasonic-dropout',
  'mains-failure',
  'leak',
  'probe-open',
  'power-cut',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  /** Simulated ms since the start of the run. */
  startMs: number;
  endMs: number;
  /** Only this tank; all tanks when undefined (a power cut always hits the whole gateway). */
  tankId?: string;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const DEFAULT_START_DAY = 1;
const DEFAULT_POWER_CUT_HOURS = 6;
const SPEC = /^([a-z-]+)(?:@(\d+(?:\.\d+)?))?(?:\+(\d+(?:\.\d+)?))?(?::([a-z0-9_-]+))?$/;

export function parseFault(spec: string): Fault {
  const m = SPEC.exec(spec.trim());
  if (!m)
    throw new Error(
      `bad --fault "${spec}": expected KIND[@DAY][+HOURS][:TANK], e.g. leak@3 or power-cut@2+6`,
    );
  const kind = m[1] as FaultKind;
  if (!FAULT_KINDS.includes(kind))
    throw new Error(`unknown fault kind "${m[1]}" (known: ${FAULT_KINDS.join(', ')})`);
  const startMs = (m[2] !== undefined ? Number(m[2]) : DEFAULT_START_DAY) * DAY_MS;
  const hours = m[3] !== undefined ? Number(m[3]) : kind === 'power-cut' ? DEFAULT_POWER_CUT_HOURS : Infinity;
  if (hours <= 0) throw new Error(`bad --fault "${spec}": duration must be positive`);
  return { kind, startMs, endMs: startMs + hours * HOUR_MS, tankId: m[4] };
}

export class FaultSchedule {
  constructor(readonly faults: readonly Fault[]) {}

  active(kind: FaultKind, tankId: string, elapsedMs: number): boolean {
    return this.faults.some(
      (f) =>
        f.kind === kind &&
        (f.tankId === undefined || f.tankId === tankId) &&
        elapsedMs >= f.startMs &&
        elapsedMs < f.endMs,
    );
  }

  /** The power cut covering this instant, if any. */
  powerCutAt(elapsedMs: number): Fault | undefined {
    return this.faults.find((f) => f.kind === 'power-cut' && elapsedMs >= f.startMs && elapsedMs < f.endMs);
  }
}
