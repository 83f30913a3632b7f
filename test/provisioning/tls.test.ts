// The site CA's device certificate in real TLS servers: Mosquitto's TLS listener, configured with the
// bundle's own listener drop-in, password file and ACL (addresses and paths moved to this test), and a
// Node https server. A client that checks against the site CA connects; one trusting another site's CA,
// or expecting another name, is refused; once the device is revoked, a client with the CRL refuses it.

import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, get, type Server } from 'node:https';
import { join } from 'node:path';
import { connectAsync, type IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle, type ReadBundle } from '../../provisioning/bundle.js';
import { openssl } from '../../provisioning/pki.js';
import { freePort } from '../helpers/mqtt-plane.js';
import { makeSite, startMosquitto, type Broker, type TestSite } from './site-fixture.js';

const CONNECT_TIMEOUT_MS = 5_000;
const DNS_NAME = 'farm-gw-01.testfarm.internal';

let site: TestSite;
let other: TestSite;
let bundle: ReadBundle;
let adminPassword: string;
let dir: string;
let tlsPort: number;
let mosquitto: Broker | undefined;
let https: Server | undefined;
let httpsPort: number;

function mosquittoGid(): number {
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('mosquitto:'));
  if (!line)
    throw new Error(
      'no group mosquitto: install the Debian package mosquitto (node test/setup/system-deps.mjs)',
    );
  return Number(line.split(':')[2]);
}

const file = (destination: string) => bundle.files.get(destination)!.toString();
const siteCa = () => site.read('pki/ca.crt');

async function startTlsBroker(): Promise<void> {
  // As on the Pi: Mosquitto drops to user mosquitto and reads its files through group mosquitto, with
  // the owners and modes of the MANIFEST (root stands in for smart-tank, which this machine lacks).
  dir = mkdtempSync(join(tmpdir(), 'st-prov-mosquitto-'));
  mkdirSync(join(dir, 'tls'));
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'tls'), 0o755);
  for (const e of bundle.entries) {
    if (e.kind !== 'file' || !/^\/etc\/smart-tank\/(mqtt\.(passwd|acl)|tls\/)/.test(e.destination)) continue;
    const target = join(dir, e.destination.replace('/etc/smart-tank/', ''));
    writeFileSync(target, bundle.files.get(e.destination)!);
    chownSync(target, 0, e.group === 'mosquitto' ? mosquittoGid() : 0);
    chmodSync(target, e.mode);
  }
  const plainPort = await freePort();
  tlsPort = await freePort();
  const listeners = file('/etc/mosquitto/conf.d/smart-tank-listeners.conf')
    .replaceAll('192.168.0.3', '127.0.0.1')
    .replace(/^listener 1883 /m, `listener ${plainPort} `)
    .replace(/^listener 8883 /m, `listener ${tlsPort} `)
    .replaceAll('/etc/smart-tank/', `${dir}/`);
  expect(listeners).toContain(
    `listener ${tlsPort} 127.0.0.1\nuse_username_as_clientid true\ncafile ${dir}/tls/ca.crt`,
  );
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    `per_listener_settings false\nallow_anonymous false\npassword_file ${dir}/mqtt.passwd\nacl_file ${dir}/mqtt.acl\n` +
      listeners,
  );
  mosquitto = await startMosquitto(conf, tlsPort);
}

async function mqttsConnect(options: IClientOptions): Promise<void> {
  const client = await connectAsync(`mqtts://127.0.0.1:${tlsPort}`, {
    username: 'admin',
    password: adminPassword,
    servername: DNS_NAME,
    rejectUnauthorized: true,
    reconnectPeriod: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    ...options,
  });
  await client.endAsync(true);
}

function httpsGet(options: { ca: string; servername?: string; crl?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(
      {
        host: '127.0.0.1',
        port: httpsPort,
        path: '/',
        ca: options.ca,
        servername: options.servername ?? DNS_NAME,
        ...(options.crl ? { crl: options.crl } : {}),
        agent: false,
        timeout: CONNECT_TIMEOUT_MS,
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
  });
}

beforeAll(async () => {
  site = await makeSite({ extra: ['--mqtt-tls'] });
  other = await makeSite({ site: 'otherfarm' });
  await site.ok('add-device', 'farm-gw-01', '--server', '1');
  await site.ok('bundle', 'farm-gw-01');
  bundle = await readBundle(join(site.dir, 'out/devices/farm-gw-01/smart-tank'));
  adminPassword = /^Password:\s+(\S+)$/m.exec(site.read('out/devices/farm-gw-01/credentials.txt'))![1]!;
  await startTlsBroker();
  https = createServer(
    { key: file('/etc/smart-tank/tls/device.key'), cert: file('/etc/smart-tank/tls/device.crt') },
    (_req, res) => res.end('dashboard'),
  );
  await new Promise<void>((resolve) => https!.listen(0, '127.0.0.1', resolve));
  httpsPort = (https.address() as { port: number }).port;
});

afterAll(async () => {
  await mosquitto?.stop();
  await new Promise((r) => (https ? https.close(r) : r(undefined)));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the device certificate', () => {
  it('is standard PEM: the device name and tunnel address as SANs, signed by the site CA', async () => {
    const text = await openssl([
      'x509',
      '-in',
      join(dir, 'tls/device.crt'),
      '-noout',
      '-ext',
      'subjectAltName,extendedKeyUsage',
    ]);
    expect(text).toContain(`DNS:${DNS_NAME}, IP Address:192.168.0.3`);
    expect(text).toContain('TLS Web Server Authentication');
    expect(
      await openssl(['verify', '-CAfile', join(dir, 'tls/ca.crt'), join(dir, 'tls/device.crt')]),
    ).toContain(': OK');
    expect(file('/etc/smart-tank/tls/device.key')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it("Mosquitto's TLS listener: the site CA connects (with the bundle's admin login), another CA or name is refused", async () => {
    await expect(mqttsConnect({ ca: siteCa() })).resolves.toBeUndefined();
    await expect(mqttsConnect({ ca: other.read('pki/ca.crt') })).rejects.toThrow(
      /self[- ]signed|unable to (get|verify)/i,
    );
    await expect(mqttsConnect({ ca: siteCa(), servername: 'farm-gw-09.testfarm.internal' })).rejects.toThrow(
      /does not match certificate's altnames/,
    );
    await expect(mqttsConnect({ ca: siteCa(), password: 'not-the-password' })).rejects.toThrow(
      /Not authorized|Bad username/i,
    );
  });

  it('a Node https server (the dashboard): the site CA connects, another CA is refused', async () => {
    await expect(httpsGet({ ca: siteCa() })).resolves.toBe('dashboard');
    await expect(httpsGet({ ca: other.read('pki/ca.crt') })).rejects.toThrow(
      /self[- ]signed|unable to (get|verify)/i,
    );
  });

  it('once revoked, clients that read the CRL refuse it', async () => {
    await site.ok('revoke', 'farm-gw-01');
    const crl = site.read('pki/crl.pem');
    await expect(httpsGet({ ca: siteCa(), crl })).rejects.toThrow(/certificate revoked/);
    // mqtt.js hands TLS options (crl too) to tls.connect; its type lists only the common ones.
    await expect(mqttsConnect({ ca: siteCa(), crl } as IClientOptions)).rejects.toThrow(
      /certificate revoked/,
    );
    await expect(
      openssl([
        'verify',
        '-crl_check',
        '-CAfile',
        join(dir, 'tls/ca.crt'),
        '-CRLfile',
        join(site.dir, 'pki/crl.pem'),
        join(dir, 'tls/device.crt'),
      ]),
    ).rejects.toThrow(/certificate revoked/);
  });
});
