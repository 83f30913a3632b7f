// A real MQTT broker (Aedes, in process) for the Node-RED node tests: users with passwords, and a record
// of every login, subscription and publish, so a test can check what the nodes put on the wire. The
// test plays the daemon through an ordinary MQTT client (`client()`), as the daemon is one.

import { createServer, type Server, type Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';
import { freePort } from './mqtt-plane.js';

type Aedes = Awaited<ReturnType<(typeof import('aedes'))['Aedes']['createBroker']>>;

export interface Seen {
  clientId: string;
  topic: string;
}

export class TestBroker {
  port = 0;
  readonly logins: { user: string | undefined; ok: boolean }[] = [];
  readonly subscribed: Seen[] = [];
  readonly published: (Seen & { payload: string })[] = [];
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly clients: MqttClient[] = [];

  constructor(private readonly users: Record<string, string>) {}

  async start(port?: number): Promise<this> {
    this.port = port ?? (await freePort());
    const { Aedes } = await import('aedes');
    const broker = await Aedes.createBroker();
    broker.authenticate = (_client, username, password, done) => {
      const ok = username !== undefined && this.users[username] === password?.toString();
      this.logins.push({ user: username, ok });
      if (ok) return done(null, true);
      const err = Object.assign(new Error('bad user name or password'), { returnCode: 4 });
      done(err, false);
    };
    broker.on('subscribe', (subscriptions, client) => {
      for (const s of subscriptions) this.subscribed.push({ clientId: client.id, topic: s.topic });
    });
    broker.on('publish', (packet, client) => {
      if (client)
        this.published.push({ clientId: client.id, topic: packet.topic, payload: packet.payload.toString() });
    });
    this.broker = broker;
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      broker.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    return this;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** A client logged in as `user` (the test's stand-in for the daemon, or any other client). */
  async client(user: string): Promise<MqttClient> {
    const client = await connectAsync(this.url, {
      username: user,
      password: this.users[user],
      clientId: `test-${user}-${Math.random().toString(36).slice(2, 8)}`,
      reconnectPeriod: 0,
    });
    this.clients.push(client);
    return client;
  }

  /** Stops the broker and drops every connection (the nodes see the broker go away). */
  async stop(): Promise<void> {
    for (const c of this.clients.splice(0)) await c.endAsync(true).catch(() => undefined);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.broker ? this.broker.close(() => resolve()) : resolve()));
    this.server = undefined;
    this.broker = undefined;
  }
}
