// One MQTT connection to the gateway's broker, shared by every node that uses the same gateway config
// node: subscriptions are counted per filter (one SUBSCRIBE however many nodes listen) and renewed by
// mqtt.js after every reconnect; the last message of each "latest value" topic (status, system, tank
// state: retained by the daemon) is kept so that a node deployed later gets it at once. A refused login
// is not retried: the gateway locks an address out after repeated failures (fail2ban on the Pi).

import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { hasWildcard, topicMatches, type Topics } from './contract.js';
import { errorText } from './red.js';

export type LinkState =
  | { kind: 'idle' }
  | { kind: 'connecting'; reason?: string }
  | { kind: 'connected' }
  | { kind: 'disconnected'; reason?: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'stopped' };

export type MessageHandler = (topic: string, payload: Buffer) => void;

export interface GatewayClientOptions {
  url: string;
  /** The MQTT user: also the last level of the command and result topics. */
  user: string;
  password?: string;
  protocolVersion: 4 | 5;
  topics: Topics;
  clientId: string;
  reconnectPeriodMs?: number;
  /** Where a handler's exception goes (it must not reach mqtt.js). */
  onHandlerError: (err: unknown, topic: string) => void;
}

const DEFAULT_RECONNECT_PERIOD_MS = 5000;
const CONNECT_TIMEOUT_MS = 10_000;
const KEEPALIVE_S = 30;
const SUBSCRIBE_QOS = 1;
/** CONNACK codes of a refused login: 4/5 in MQTT 3.1.1, 134/135 in MQTT 5. */
const LOGIN_REFUSED_CODES = new Set([4, 5, 134, 135]);

interface Subscription {
  filter: string;
  handler: MessageHandler;
  latest: boolean;
}

export class GatewayClient {
  private client: MqttClient | undefined;
  private linkState: LinkState = { kind: 'idle' };
  private readonly stateListeners = new Set<(state: LinkState) => void>();
  private readonly subscriptions = new Set<Subscription>();
  /** Last payload per topic, for topics some subscriber wants the latest value of. */
  private readonly latest = new Map<string, Buffer>();
  /** The last connection error, as words for the status ("connect ECONNREFUSED ..."). */
  private lastError: string | undefined;

  constructor(readonly options: GatewayClientOptions) {}

  get topics(): Topics {
    return this.options.topics;
  }

  get user(): string {
    return this.options.user;
  }

  get state(): LinkState {
    return this.linkState;
  }

  start(): void {
    if (this.client) return;
    const { url, user, password, protocolVersion, clientId } = this.options;
    const options: IClientOptions = {
      clientId,
      username: user,
      password,
      protocolVersion,
      clean: true,
      resubscribe: true,
      reconnectPeriod: this.options.reconnectPeriodMs ?? DEFAULT_RECONNECT_PERIOD_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      keepalive: KEEPALIVE_S,
      // A refused login is final (see onError): retrying would get this address locked out.
      reconnectOnConnackError: false,
    };
    this.setState({ kind: 'connecting' });
    const client = connect(url, options);
    this.client = client;
    client.on('connect', () => this.setState({ kind: 'connected' }));
    client.on('reconnect', () => this.setState({ kind: 'connecting', reason: this.lastError }));
    client.on('close', () => {
      if (this.linkState.kind === 'connected' || this.linkState.kind === 'connecting')
        this.setState({ kind: 'disconnected', reason: this.lastError });
    });
    client.on('error', (err) => this.onError(err));
    client.on('message', (topic, payload) => this.deliver(topic, payload));
    for (const filter of this.filters()) client.subscribe(filter, { qos: SUBSCRIBE_QOS });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.setState({ kind: 'stopped' });
    this.stateListeners.clear();
    if (client) await client.endAsync(true).catch(() => undefined);
  }

  /** Calls `listener` with the current state now and on every change; returns the unsubscribe. */
  onState(listener: (state: LinkState) => void): () => void {
    this.stateListeners.add(listener);
    listener(this.linkState);
    return () => this.stateListeners.delete(listener);
  }

  /**
   * Delivers messages on `filter` to `handler`; with `latest`, also the last message already received on
   * each matching topic. Returns the unsubscribe.
   */
  subscribe(filter: string, handler: MessageHandler, { latest = false } = {}): () => void {
    const fresh = !this.filters().has(filter);
    const subscription: Subscription = { filter, handler, latest };
    this.subscriptions.add(subscription);
    if (fresh) this.client?.subscribe(filter, { qos: SUBSCRIBE_QOS });
    if (latest) {
      for (const [topic, payload] of this.latest)
        if (topicMatches(filter, topic)) this.call(subscription, topic, payload);
    }
    return () => {
      this.subscriptions.delete(subscription);
      if (!this.filters().has(filter)) this.client?.unsubscribe(filter);
    };
  }

  /** QoS 1, never retained; rejects when not connected (nothing is queued for later). */
  async publish(topic: string, payload: string): Promise<void> {
    if (hasWildcard(topic)) throw new Error(`not publishing to a topic with a wildcard: ${topic}`);
    const client = this.client;
    if (!client || this.linkState.kind !== 'connected')
      throw new Error(`not connected to the broker (${describeLink(this.linkState)}): nothing sent`);
    try {
      await client.publishAsync(topic, payload, { qos: 1, retain: false });
    } catch (err) {
      throw new Error(`the broker refused the message on ${topic}: ${errorText(err)}`);
    }
  }

  private onError(err: Error & { code?: unknown }): void {
    this.lastError = errorText(err);
    if (typeof err.code === 'number' && LOGIN_REFUSED_CODES.has(err.code)) {
      // Stop here: retrying a wrong password every few seconds would get this address locked out.
      const client = this.client;
      this.client = undefined;
      void client?.endAsync(true).catch(() => undefined);
      this.setState({
        kind: 'refused',
        reason: `login as ${this.options.user} refused (${this.lastError}): check the user and password`,
      });
    }
  }

  private deliver(topic: string, payload: Buffer): void {
    let keep = false;
    for (const s of [...this.subscriptions]) {
      if (!topicMatches(s.filter, topic)) continue;
      keep ||= s.latest;
      this.call(s, topic, payload);
    }
    if (keep) this.latest.set(topic, payload);
  }

  private call(s: Subscription, topic: string, payload: Buffer): void {
    try {
      s.handler(topic, payload);
    } catch (err) {
      this.options.onHandlerError(err, topic);
    }
  }

  private filters(): Set<string> {
    return new Set([...this.subscriptions].map((s) => s.filter));
  }

  private setState(state: LinkState): void {
    if (state.kind === 'connected') this.lastError = undefined;
    this.linkState = state;
    for (const listener of [...this.stateListeners]) listener(state);
  }
}

export function describeLink(state: LinkState): string {
  switch (state.kind) {
    case 'idle':
      return 'not started';
    case 'connecting':
      return state.reason ? `connecting (${state.reason})` : 'connecting';
    case 'connected':
      return 'connected';
    case 'disconnected':
      return state.reason ? `disconnected (${state.reason})` : 'disconnected';
    case 'refused':
      return state.reason;
    case 'stopped':
      return 'stopped';
  }
}
