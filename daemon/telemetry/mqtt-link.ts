// The gateway's MQTT client session: Last Will "offline" (retained), "online" re-published on every
// (re)connect, reconnecting on its own, subscriptions renewed after a reconnect. Publishing never throws
// into the control loop; while disconnected the caller keeps messages in the outbox (TelemetryChannel).

import type { IClientPublishOptions, MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import { topicMatches } from '../security/topic-match.js';
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

export interface InboundMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  /** MQTT 5 correlation data, echoed on the answer. */
  correlationData?: Buffer;
}

export interface PublishOptions {
  retain?: boolean;
  correlationData?: Buffer;
}

const RECONNECT_MS = 2000;
const CONNECT_TIMEOUT_MS = 5000;

export class MqttLink {
  private client: MqttClient | undefined;
  private connectedOnce = false;
  private errorLogged = false;
  private readonly subscriptions = new Map<string, (m: InboundMessage) => void>();
  private readonly connectListeners: (() => void)[] = [];

  constructor(private readonly options: MqttLinkOptions) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Called after every (re)connect, once "online" is sent. */
  onConnect(listener: () => void): void {
    this.connectListeners.push(listener);
  }

  /** Subscribes now and after every reconnect; messages on `filter` go to `handler`. */
  subscribe(filter: string, handler: (m: InboundMessage) => void): void {
    this.subscriptions.set(filter, handler);
    if (this.client?.connected) this.client.subscribe(filter, this.subscribeOptions());
  }

  /** Stops listening on `filter`. */
  unsubscribe(filter: string): void {
    this.subscriptions.delete(filter);
    if (this.client?.connected) this.client.unsubscribe(filter);
  }

  /** Starts the session; does not wait for the broker (the tank runs without it). */
  async start(): Promise<void> {
    // mqtt.js is CommonJS: its module.exports is the import's default both in node and in the bundle
    // (whose chunk for it exports only that), so connect is taken from there.
    const { connect } = (await import('mqtt')).default;
    const o = this.options;
    const client = connect(o.url, {
      clientId: o.clientId,
      username: o.username,
      password: o.password,
      protocolVersion: o.protocolVersion,
      clean: true,
      reconnectPeriod: RECONNECT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      queueQoSZero: false,
      // mqtt-packet's write cache is 65,536 two-byte Buffers (8 MB of RSS, measured) to save an allocation
      // per packet: a few packets a second here. Off for the whole process (the embedded broker too).
      writeCache: false,
      will: {
        topic: o.statusTopic,
        payload: Buffer.from('offline' satisfies GatewayStatus),
        qos: 1,
        retain: true,
      },
    });
    this.client = client;
    client.on('connect', () => {
      // Small messages both ways: without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms per hop.
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      const again = this.connectedOnce;
      this.connectedOnce = true;
      this.errorLogged = false;
      void this.publish(o.statusTopic, 'online' satisfies GatewayStatus, { retain: true }).catch(() => {});
      const filters = [...this.subscriptions.keys()];
      // Logged once the broker has granted the subscriptions: from then on commands are taken.
      const connected = () => o.log.info(again ? 'MQTT reconnected' : 'MQTT connected', { url: o.url });
      if (filters.length === 0) connected();
      else client.subscribe(filters, this.subscribeOptions(), () => connected());
      for (const listener of this.connectListeners) listener();
    });
    client.on('message', (topic, payload, packet) => {
      for (const [filter, handler] of this.subscriptions) {
        if (topicMatches(filter, topic)) {
          handler({
            topic,
            payload,
            retain: packet.retain,
            correlationData: packet.properties?.correlationData,
          });
        }
      }
    });
    client.on('offline', () => o.log.warn('MQTT disconnected', { url: o.url }));
    // Quiet while the broker stays away: the first error of an outage is a warning, the retries debug.
    client.on('error', (err) => {
      if (this.errorLogged) o.log.debug('MQTT error', { url: o.url, error: err });
      else o.log.warn('MQTT error (retrying every 2 s)', { url: o.url, error: err });
      this.errorLogged = true;
    });
  }

  /**
   * MQTT 5 "retain as published": a message published with the retain flag keeps it on live delivery,
   * so a retained command is recognised as such even when it arrives on an existing subscription.
   * (MQTT 3.1.1 clears the flag on live delivery: the embedded broker reports it from the publish itself.)
   */
  private subscribeOptions(): { qos: 1; rap?: boolean } {
    return this.options.protocolVersion === 5 ? { qos: 1, rap: true } : { qos: 1 };
  }

  /** Publishes at QoS 1; resolves on the broker's acknowledgement. */
  publish(topic: string, payload: string, options: PublishOptions = {}): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('MQTT not started'));
    const opts: IClientPublishOptions = { qos: 1, retain: options.retain ?? false };
    if (options.correlationData && this.options.protocolVersion === 5)
      opts.properties = { correlationData: options.correlationData };
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, opts, (err) => (err ? reject(err) : resolve()));
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
