// The fleet service's session with the central broker: MQTT 3.1.1 (RabbitMQ 3.10's MQTT plugin), a
// persistent session (clean false) so that the central broker keeps in a replicated queue what arrives
// while the service is away or moving to another node, QoS 1 both ways, every node of the cluster in
// turn when the current one is lost. Messages go to one handler, in arrival order.

import { readFile } from 'node:fs/promises';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from '../log.js';

export interface CentralLinkOptions {
  urls: readonly string[];
  username: string;
  password: string;
  clientId: string;
  caFile?: string;
  filters: readonly string[];
  log: Logger;
  onMessage: (topic: string, payload: Buffer) => void;
}

const RECONNECT_MS = 1000;
const CONNECT_TIMEOUT_MS = 10_000;
/** RabbitMQ answers with a ping within this; three missed and the next node is tried. */
const KEEPALIVE_S = 20;

export class CentralLink {
  private client: MqttClient | undefined;
  private connectedOnce = false;
  private warned = false;
  reconnects = 0;
  /** The node the session is on now (host:port). */
  node: string | undefined;

  constructor(private readonly o: CentralLinkOptions) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async start(): Promise<void> {
    // mqtt.js is CommonJS: its module.exports is the import's default both in node and in the bundle
    // (whose chunk for it exports only that), so connect is taken from there.
    const { connect } = (await import('mqtt')).default;
    const o = this.o;
    const servers = o.urls.map((u) => {
      const url = new URL(u);
      return {
        host: url.hostname,
        port: Number(url.port || (url.protocol === 'mqtts:' ? 8883 : 1883)),
        protocol: url.protocol.replace(':', '') as 'mqtt' | 'mqtts',
      };
    });
    const options: IClientOptions = {
      servers,
      clientId: o.clientId,
      username: o.username,
      password: o.password,
      protocolVersion: 4,
      clean: false,
      keepalive: KEEPALIVE_S,
      reconnectPeriod: RECONNECT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      ...(o.caFile ? { ca: await readFile(o.caFile) } : {}),
    };
    const client = connect(options);
    this.client = client;
    client.on('connect', () => {
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      const stream = client.stream as { remoteAddress?: string; remotePort?: number };
      this.node = stream.remoteAddress ? `${stream.remoteAddress}:${stream.remotePort}` : undefined;
      if (this.connectedOnce) this.reconnects++;
      o.log.info(this.connectedOnce ? 'central broker reconnected' : 'central broker connected', {
        node: this.node,
      });
      this.connectedOnce = true;
      this.warned = false;
      // The persistent session keeps the subscriptions; subscribing again is harmless and covers a
      // session the broker dropped (subscription_ttl) or a first start.
      client.subscribe([...o.filters], { qos: 1 }, (err) => {
        if (err) o.log.error('central broker refused the subscriptions', { error: err });
      });
    });
    client.on('message', (topic, payload) => o.onMessage(topic, payload));
    client.on('offline', () => o.log.warn('central broker connection lost', { node: this.node }));
    client.on('error', (err) => {
      if (this.warned) o.log.debug('central broker error', { error: err });
      else o.log.warn('central broker error (trying every node in turn)', { error: err });
      this.warned = true;
    });
  }

  /** Publishes at QoS 1; resolves on the central broker's acknowledgement. */
  publish(topic: string, payload: string): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('central link not started'));
    return new Promise((resolve, reject) =>
      client.publish(topic, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve())),
    );
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync().catch(() => client.end(true));
  }
}
