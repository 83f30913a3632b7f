// The embedded MQTT broker (Aedes, MQTT 3.1.1): the zero-setup default for development and the
// simulator. It enforces the same users and ACL files as Mosquitto (daemon/security), locks out a client
// address after repeated failed logins, and bounds packet size, connections and connection rate. On a Pi
// the image runs Mosquitto instead and the daemon is only its client.

import { createServer, isIP, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../log.js';
import type { MqttConfig } from '../config/schema.js';
import { aclAllows, type Acl, type Operation } from '../security/acl.js';
import type { Credentials } from '../security/credentials.js';
import type { AuditEntry } from '../security/audit-log.js';
import { AuditThrottle } from '../security/audit-throttle.js';
import type { LoginGuard } from '../security/login-guard.js';
import type { Role } from '../security/roles.js';
import { admissionRefusal, type LiveSession } from './session-admission.js';
import { guardedConnection } from './mqtt-frame-guard.js';

type Aedes = Awaited<ReturnType<(typeof import('aedes'))['Aedes']['createBroker']>>;
type AedesClient = Parameters<NonNullable<Aedes['authenticate']>>[0];

export interface EmbeddedBrokerOptions {
  mqtt: MqttConfig;
  credentials: Credentials;
  /** The login check shared with the dashboard (lockout, audit). */
  login: LoginGuard;
  log: Logger;
  now: () => number;
  /** Where denied publishes, subscriptions and refused sessions go (throttled per user). */
  audit: (entry: AuditEntry) => void;
}

export interface Identity {
  user?: string;
  address: string;
  role?: Role;
}

/** A command topic publish seen by the broker, with who sent it from where. */
export interface InboundPublish {
  topic: string;
  payload: Buffer;
  retain: boolean;
  identity: Identity;
  clientId: string;
}

const RATE_WINDOW_MS = 60_000;
/** Sockets beyond maxConnections that may still reach the login (so an admin can get in when others hold the slots). */
const PENDING_CONNECTIONS = 10;
/** Audit lines of one kind per user per minute (denied publishes, subscriptions). */
const AUDIT_LINES_PER_MINUTE = 30;
/** CONNACK codes (MQTT 3.1.1). */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const NOT_AUTHORIZED = 5;
/** Slow subscribers are cut off rather than stalling delivery to everyone (Aedes drainTimeout). */
const DRAIN_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;

export class EmbeddedBroker {
  private servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private broker: Aedes | undefined;
  private readonly identities = new WeakMap<AedesClient, Identity>();
  private readonly recentConnects = new Map<string, number[]>();
  private readonly live = new Map<AedesClient, LiveSession>();
  private readonly throttle: AuditThrottle;
  /** The daemon's own client: a secret made at start, never written anywhere. */
  readonly internalUser: string;
  readonly internalPassword = randomBytes(24).toString('base64url');
  private onInbound: ((p: InboundPublish) => void) | undefined;
  private commandFilter: string | undefined;
  readonly ports: { host: string; port: number }[] = [];

  constructor(private readonly options: EmbeddedBrokerOptions) {
    this.internalUser = options.mqtt.users.gatewayUser;
    this.throttle = new AuditThrottle(options.audit, options.now, AUDIT_LINES_PER_MINUTE);
  }

  /** Commands published on `filter` are handed to `handler` with the sender's identity. */
  onCommand(filter: string, handler: (p: InboundPublish) => void): void {
    this.commandFilter = filter;
    this.onInbound = handler;
  }

  /** Opens the listeners; a non-loopback one only when users exist. Returns the bound ports. */
  async start(): Promise<{ host: string; port: number }[]> {
    const { mqtt, credentials, log } = this.options;
    await credentials.refresh();
    const { Aedes } = await import('aedes');
    const broker = await Aedes.createBroker({
      connectTimeout: CONNECT_TIMEOUT_MS,
      drainTimeout: DRAIN_TIMEOUT_MS,
      queueLimit: mqtt.limits.maxQueued,
      maxInflightInbound: mqtt.limits.maxInflight,
      maxClientsIdLength: 64,
    });
    this.broker = broker;
    broker.authenticate = (client, username, password, done) => {
      const refused = (returnCode: 2 | 3 | 5) => Object.assign(new Error('not authorized'), { returnCode });
      this.authenticate(client, username, password).then(
        (code) => (code === 0 ? done(null, true) : done(refused(code), false)),
        (err: unknown) => {
          log.error('MQTT authentication failed', { error: err as Error });
          done(refused(NOT_AUTHORIZED), false);
        },
      );
    };
    broker.on('client', (client) => {
      const identity = this.identities.get(client);
      if (identity)
        this.live.set(client, {
          clientId: client.id,
          user: identity.user,
          address: identity.address,
          role: identity.role,
        });
    });
    broker.on('clientDisconnect', (client) => void this.live.delete(client));
    broker.authorizePublish = (client, packet, done) => {
      if (!client) return done(null); // a Last Will published after its client went away
      if (packet.payload.length > mqtt.limits.maxMessageBytes) return done(new Error('message too large'));
      if (!this.allowed(client, 'publish', packet.topic)) {
        this.auditUse(client, 'denied', `publish to ${packet.topic}`, 'refused by the ACL');
        return done(new Error(`not authorized to publish to ${packet.topic}`));
      }
      done(null);
    };
    broker.authorizeSubscribe = (client, sub, done) => {
      const ok = this.allowed(client, 'subscribe', sub.topic);
      this.auditUse(client, 'subscribe', `subscribe ${sub.topic}`, ok ? 'granted' : 'denied by the ACL');
      if (!ok) return done(null, null);
      done(null, sub);
    };
    broker.authorizeForward = (client, packet) =>
      this.allowed(client, 'receive', packet.topic) ? packet : null;
    broker.on('clientError', (client, err) =>
      log.debug('mqtt client error', { client: client.id, error: err }),
    );
    broker.on('publish', (packet, client) => {
      if (!client || !this.onInbound || !this.commandFilter) return;
      if (!topicUnder(this.commandFilter, packet.topic)) return;
      const identity = this.identities.get(client) ?? { address: 'unknown' };
      this.onInbound({
        topic: packet.topic,
        payload: packet.payload as Buffer,
        retain: packet.retain,
        identity,
        clientId: client.id,
      });
    });

    for (const listen of mqtt.listen) {
      if (!isLoopback(listen.host) && credentials.userCount === 0) {
        log.error(
          'MQTT listener not opened: no user exists yet (smart-tank user add), so only loopback is served',
          {
            host: listen.host,
            port: listen.port,
          },
        );
        continue;
      }
      const server = createServer((socket) => this.accept(socket));
      server.maxConnections = mqtt.limits.maxConnections + PENDING_CONNECTIONS;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err) =>
          reject(
            new Error(`embedded MQTT broker cannot listen on ${listen.host}:${listen.port}: ${err.message}`, {
              cause: err,
            }),
          ),
        );
        server.listen(listen.port, listen.host, () => resolve());
      });
      this.servers.push(server);
      const port = (server.address() as AddressInfo).port;
      this.ports.push({ host: listen.host, port });
      log.info('embedded MQTT broker listening', { host: listen.host, port });
    }
    return this.ports;
  }

  async stop(): Promise<void> {
    const broker = this.broker;
    this.broker = undefined;
    // Stop accepting, disconnect every client, then wait for the listeners (which wait for connections).
    const closed = this.servers
      .splice(0)
      .map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(closed);
  }

  private accept(socket: Socket): void {
    const { mqtt, log } = this.options;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.once('close', () => this.sockets.delete(socket));
    const address = socket.remoteAddress ?? 'unknown';
    const now = this.options.now();
    const recent = (this.recentConnects.get(address) ?? []).filter((t) => now - t < RATE_WINDOW_MS);
    recent.push(now);
    this.recentConnects.set(address, recent);
    if (this.recentConnects.size > 10_000) this.recentConnects.clear();
    if (recent.length > mqtt.limits.connectionsPerMinute) {
      log.debug('connection rate limit', { address });
      socket.destroy();
      return;
    }
    const conn = guardedConnection(socket, mqtt.limits.maxMessageBytes + 1024, (err) =>
      log.warn('MQTT connection cut', { address, reason: err.message }),
    );
    this.broker?.handle(conn);
  }

  /** 0 when the client may have its session, else the CONNACK code to refuse it with. */
  private async authenticate(
    client: AedesClient,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<0 | 2 | 3 | 5> {
    const { credentials, login } = this.options;
    const address = (client.conn as { remoteAddress?: string }).remoteAddress ?? 'unknown';
    // The daemon's own session first: a lockout of its address (loopback) must never cut it off.
    if (username === this.internalUser && password && safeEqual(password.toString(), this.internalPassword)) {
      this.identities.set(client, { user: username, address, role: 'gateway' });
      return 0;
    }
    await credentials.refresh();
    let identity: Identity;
    if (username === undefined && credentials.userCount === 0) {
      // No users yet: anonymous read access, which only loopback listeners can offer.
      identity = { address };
    } else {
      const outcome = await login.login({
        user: username,
        password: password?.toString(),
        address,
        door: 'mqtt',
        clientId: client.id,
      });
      if (!outcome.ok) return NOT_AUTHORIZED;
      identity = { user: outcome.user, address, role: outcome.record?.role };
    }
    const refusal = this.admission(client, identity);
    if (refusal) return refusal;
    this.identities.set(client, identity);
    return 0;
  }

  /** Client id binding and connection slots (session-admission.ts); refusals are audited. */
  private admission(client: AedesClient, identity: Identity): 0 | 2 | 3 {
    const { mqtt } = this.options;
    const candidate = {
      clientId: client.id,
      user: identity.user,
      address: identity.address,
      role: identity.role,
    };
    const refusal = admissionRefusal([...this.live.values()], candidate, mqtt.limits, this.internalUser);
    if (!refusal) return 0;
    this.throttle.record({
      kind: 'denied',
      who: identity.user ?? '(anonymous)',
      from: `${identity.address} (${client.id})`,
      what: 'MQTT session',
      result: `refused: ${refusal}`,
    });
    this.options.log.warn('MQTT session refused', {
      user: identity.user,
      address: identity.address,
      reason: refusal,
    });
    return refusal.startsWith('client id') ? IDENTIFIER_REJECTED : SERVER_UNAVAILABLE;
  }

  /** Denied publishes and subscriptions, in the audit log (throttled): who tried what, from where. */
  private auditUse(client: AedesClient, kind: 'denied' | 'subscribe', what: string, result: string): void {
    const identity = this.identities.get(client);
    if (!identity || identity.user === this.internalUser) return;
    this.throttle.record({
      kind,
      who: identity.user ?? '(anonymous)',
      from: `${identity.address} (${client.id})`,
      what,
      result,
    });
  }

  private allowed(client: AedesClient, op: Operation, topic: string): boolean {
    const identity = this.identities.get(client);
    if (!identity) return false;
    if (identity.user === this.internalUser) return true; // role gateway: the whole tree
    const { credentials, mqtt } = this.options;
    if (identity.user === undefined) {
      // Anonymous (only while no user exists, only on loopback): read the telemetry, nothing else.
      return op !== 'publish' && topicUnder(`${mqtt.topicPrefix}/#`, topic);
    }
    return aclAllows(credentials.acl as Acl, identity.user, client.id, op, topic);
  }
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function topicUnder(filter: string, topic: string): boolean {
  const base = filter.endsWith('/#')
    ? filter.slice(0, -2)
    : filter.endsWith('/+')
      ? filter.slice(0, -2)
      : filter;
  if (filter.endsWith('/+'))
    return topic.startsWith(base + '/') && !topic.slice(base.length + 1).includes('/');
  return topic === base || topic.startsWith(base + '/');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
