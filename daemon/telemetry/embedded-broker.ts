// The embedded MQTT broker (Aedes): the zero-setup default for development and the simulator. On a Pi
// the image runs Mosquitto instead and the daemon is only its client.

import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  log: Logger;
}

type AedesBroker = Awaited<ReturnType<(typeof import('aedes'))['Aedes']['createBroker']>>;

export class EmbeddedBroker {
  private server: Server | undefined;
  private broker: AedesBroker | undefined;

  constructor(private readonly options: EmbeddedBrokerOptions) {}

  /** Starts listening; resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    const { Aedes } = await import('aedes');
    const broker = await Aedes.createBroker();
    this.broker = broker;
    broker.on('clientError', (client, err) =>
      this.options.log.debug('mqtt client error', { client: client.id, error: err }),
    );
    const server = createServer(broker.handle);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          new Error(
            `embedded MQTT broker cannot listen on ${this.options.host}:${this.options.port}: ${err.message}`,
            { cause: err },
          ),
        ),
      );
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    this.options.log.info('embedded MQTT broker listening', { host: this.options.host, port });
    return port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    const broker = this.broker;
    this.server = undefined;
    this.broker = undefined;
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
