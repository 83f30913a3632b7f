// Turns decisions into MQTT payloads: retained tank state when something a person would notice changed
// (or at the heartbeat), every control event, and the gateway's health. Pure payload builders plus a
// small publisher that remembers what it last sent.

import type { MqttConfig, TankConfig } from '../config/schema.js';
import type { Clock } from '../clock.js';
import type { ControlEvent, Decision } from '../control/types.js';
import type { LevelReading } from '../level/estimator.js';
import { roundTo } from '../units.js';
import type { SystemHealth, TankEventPayload, TankStatePayload, Topics } from './topics.js';

export interface Publisher {
  /** `durable`: kept in the outbox while the broker is unreachable (tank states and events). */
  publish(
    topic: string,
    payload: string,
    options?: { retain?: boolean; durable?: boolean; correlationData?: Buffer },
  ): void;
}

export function stamp(clock: Clock): { time: string; timeSynced: boolean } {
  return { time: new Date(clock.wallMs()).toISOString(), timeSynced: clock.wallSynced() };
}

export function tankStatePayload(
  tank: TankConfig,
  capacityLitres: number,
  decision: Decision,
  reading: LevelReading,
  clock: Clock,
): TankStatePayload {
  const { status, state } = decision;
  const probes: Record<string, 'wet' | 'dry'> = {};
  for (const [id, wet] of Object.entries(reading.probes)) probes[id] = wet ? 'wet' : 'dry';
  const manualLeftMs =
    state.mode === 'manual' && state.manual ? state.manual.untilMs - clock.monotonicMs() : undefined;
  return {
    ...stamp(clock),
    tank: tank.id,
    ...(tank.name ? { name: tank.name } : {}),
    levelPct: round(reading.levelPct, 1),
    litres: round(reading.litres, 0),
    capacityLitres: Math.round(capacityLitres),
    displayPct: round(reading.displayPct, 1),
    quality: reading.quality,
    ...(reading.problem ? { problem: reading.problem } : {}),
    ...(reading.lastGoodAtMs !== undefined
      ? {
          lastGoodTime: new Date(clock.wallMs() - (clock.monotonicMs() - reading.lastGoodAtMs)).toISOString(),
        }
      : {}),
    valve: state.valveOpen ? 'open' : 'closed',
    pump: tank.pump ? (state.pumpOn ? 'on' : 'off') : null,
    mode: state.mode,
    status: status.statusText,
    faults: status.faults,
    alarms: status.alarms,
    acknowledged: status.acknowledged,
    probes,
    thresholds: {
      lowPct: status.lowPct,
      highPct: status.highPct,
      ...(status.thresholdsSource.source === 'command'
        ? { source: 'command' as const, setBy: status.thresholdsSource.by }
        : { source: 'config' as const }),
    },
    netFlowLitresPerMin: round(status.netFlowLitresPerMin, 1),
    minutesToFull: round(status.minutesToFull, 0),
    ...(manualLeftMs !== undefined
      ? { manualUntil: new Date(clock.wallMs() + manualLeftMs).toISOString() }
      : {}),
    ...(status.holding ? { holding: status.holding } : {}),
  };
}

/** Publishes one tank's state and events; state only when it changed enough or the heartbeat is due. */
export class TankTelemetry {
  private last: TankStatePayload | undefined;
  private lastAtMs = -Infinity;

  constructor(
    private readonly tank: TankConfig,
    private readonly capacityLitres: number,
    private readonly topics: Topics,
    private readonly mqtt: MqttConfig,
    private readonly publisher: Publisher,
    private readonly clock: Clock,
  ) {}

  publishDecision(decision: Decision, reading: LevelReading, force = false): void {
    for (const event of decision.events) this.publishEvent(event);
    const payload = tankStatePayload(this.tank, this.capacityLitres, decision, reading, this.clock);
    const now = this.clock.monotonicMs();
    if (force || this.worthPublishing(payload, now)) {
      this.publisher.publish(this.topics.tankState(this.tank.id), JSON.stringify(payload), {
        retain: true,
        durable: true,
      });
      this.last = payload;
      this.lastAtMs = now;
    }
  }

  publishEvent(event: ControlEvent): void {
    const payload: TankEventPayload = { ...stamp(this.clock), tank: this.tank.id, ...event };
    this.publisher.publish(this.topics.tankEvent(this.tank.id), JSON.stringify(payload), { durable: true });
  }

  private worthPublishing(p: TankStatePayload, now: number): boolean {
    const last = this.last;
    if (!last || now - this.lastAtMs >= this.mqtt.stateHeartbeatS * 1000) return true;
    if (
      p.valve !== last.valve ||
      p.pump !== last.pump ||
      p.mode !== last.mode ||
      p.status !== last.status ||
      p.quality !== last.quality ||
      p.alarms.join() !== last.alarms.join() ||
      p.acknowledged.join() !== last.acknowledged.join() ||
      p.thresholds.lowPct !== last.thresholds.lowPct ||
      p.thresholds.highPct !== last.thresholds.highPct ||
      JSON.stringify(p.probes) !== JSON.stringify(last.probes) ||
      (p.levelPct === null) !== (last.levelPct === null)
    ) {
      return true;
    }
    return (
      p.levelPct !== null &&
      last.levelPct !== null &&
      Math.abs(p.levelPct - last.levelPct) >= this.mqtt.publishMinDeltaPct
    );
  }
}

export function systemPayload(health: Omit<SystemHealth, 'time' | 'timeSynced'>, clock: Clock): SystemHealth {
  return { ...stamp(clock), ...health };
}

function round(x: number | undefined, digits: number): number | null {
  return x === undefined || !Number.isFinite(x) ? null : roundTo(x, digits);
}
