// The gateway's MQTT client session: Last Will "offline" (retained), "online" re-published on every
// (re)connect, reconnecting on its own. Publishing never blocks or throws into the control loop: while
// disconnected, mqtt.js keeps QoS 1 messages queued until the session is back.

import type { MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import type { GatewayStatus } from './topics.js';

export interface MqttLinkOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  statusTopic: string;
  /** 5 for Mosquitto; 4 (3.1.1) for the embedded broker, which speaks no MQTT 5. */
  protocolVersion: 4 | 5;
  log: Logger;
}

const RECONNECT_MS = 2000;
const CONNECT_TIMEOUT_MS = 5000;

export class MqttLink {
  private client: MqttClient | undefined;
  private connectedOnce = false;

  constructor(private readonly options: MqttLinkOptions) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Starts the session; does not wait for the broker (the tank runs without it). */
  async start(): Promise<void> {
    const { connect } = await import('mqtt');
    const o = this.options;
    const client = connect(o.url, {
      clientId: o.clientId,
      username: o.username,
      password: o.password,
      protocolVersion: o.protocolVersion,
      clean: true,
      reconnectPeriod: RECONNECT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      will: {
        topic: o.statusTopic,
        payload: Buffer.from('offline' satisfies GatewayStatus),
        qos: 1,
        retain: true,
      },
    });
    this.client = client;
    client.on('connect', () => {
      o.log.info(this.connectedOnce ? 'MQTT reconnected' : 'MQTT connected', { url: o.url });
      this.connectedOnce = true;
      this.publish(o.statusTopic, 'online' satisfies GatewayStatus, { retain: true });
    });
    client.on('offline', () => o.log.warn('MQTT disconnected', { url: o.url }));
    client.on('error', (err) => o.log.warn('MQTT error', { url: o.url, error: err }));
  }

  publish(topic: string, payload: string, options: { retain?: boolean } = {}): void {
    this.client?.publish(topic, payload, { qos: 1, retain: options.retain ?? false }, (err) => {
      if (err) this.options.log.debug('MQTT publish failed', { topic, error: err });
    });
  }

  /** Says "offline" itself (a clean stop sends no Last Will) and closes the session. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.connected) {
      await new Promise<void>((resolve) =>
        client.publish(
          this.options.statusTopic,
          'offline' satisfies GatewayStatus,
          { qos: 1, retain: true },
          () => resolve(),
        ),
      );
    }
    await client.endAsync(!client.connected);
  }
}
