// Where telemetry goes: straight to the broker while connected and nothing is waiting, otherwise into the
// outbox (SQLite) — and after a reconnect the outbox is sent first, in order, before live messages, so a
// subscriber sees every state change and event in the order they happened, with their own timestamps.

import type { Logger } from '../log.js';
import type { TelemetryStore } from '../storage/telemetry-store.js';
import type { MqttLink, PublishOptions } from './mqtt-link.js';
import type { Publisher } from './telemetry.js';

const DRAIN_BATCH = 200;

export class TelemetryChannel implements Publisher {
  private draining = false;

  constructor(
    private readonly link: MqttLink,
    private readonly store: TelemetryStore | undefined,
    private readonly log: Logger,
  ) {
    link.onConnect(() => void this.drain());
  }

  /**
   * `durable` messages (tank states, events) survive an outage in the outbox; the rest (health, answers,
   * discovery) are only worth sending now.
   */
  publish(topic: string, payload: string, options: PublishOptions & { durable?: boolean } = {}): void {
    const durable = options.durable ?? false;
    // Durable messages queue behind the outbox to keep their order; the others need no order.
    const queued = durable && (this.draining || (this.store?.outboxSize ?? 0) > 0);
    if (this.link.connected && !queued) {
      this.link.publish(topic, payload, options).catch((err: unknown) => {
        // The session dropped before the broker acknowledged: keep it for the next connection.
        if (durable && this.store) this.store.enqueue(topic, payload, options.retain ?? false);
        else this.log.debug('MQTT publish lost', { topic, error: err as Error });
      });
      return;
    }
    if (durable && this.store) this.store.enqueue(topic, payload, options.retain ?? false);
  }

  /** Sends the outbox oldest first, a batch at a time, removing what the broker acknowledged. */
  async drain(): Promise<void> {
    const store = this.store;
    if (!store || this.draining) return;
    this.draining = true;
    let sent = 0;
    try {
      for (;;) {
        if (!this.link.connected) return;
        const batch = store.peek(DRAIN_BATCH);
        if (batch.length === 0) return;
        // mqtt.js sends in call order; waiting for all acks of a batch keeps the outbox consistent.
        await Promise.all(batch.map((m) => this.link.publish(m.topic, m.payload, { retain: m.retain })));
        store.remove(batch.map((m) => m.seq));
        sent += batch.length;
      }
    } catch (err) {
      this.log.warn('outbox drain interrupted; it resumes on the next connection', { error: err as Error });
    } finally {
      this.draining = false;
      if (sent > 0) this.log.info('outbox sent', { messages: sent });
    }
  }
}
