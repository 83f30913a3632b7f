// The farmer's phone: a WireGuard client of its VPN server at .2, as a config file and a QR code (PNG and
// terminal) that the WireGuard app scans, and the dashboard URLs of that server's gateways. Each run
// makes a new key (the old phone loses access once the server's config is applied).

import { join } from 'node:path';
import { phoneAddress } from './address-plan.js';
import { dashboardPlan, serverView } from './bundle-ops.js';
import { dashboardUrl } from './device-config.js';
import { writeHubConfig, type HubConfigResult } from './hub-ops.js';
import { upsertRow } from './inventory.js';
import { writeSecretFile } from './secret-files.js';
import { openSite, saveSite } from './site-store.js';
import { phoneWgConf } from './wg-configs.js';
import { generateWgKeyPair } from './wg-keys.js';

export interface PhoneResult {
  server: number;
  address: string;
  confFile: string;
  pngFile: string;
  /** The config text: a secret (the phone's private key). */
  conf: string;
  /** The QR code for a terminal: a secret too (it holds the same config). */
  terminalQr: string;
  dashboards: { device: string; url: string }[];
  hub: HubConfigResult;
}

/** QR error correction M (15 %): survives a smudged screen, still small enough for a ~250-byte config. */
const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;
const QR_PNG_SCALE = 8;

export async function qrPng(text: string): Promise<Buffer> {
  const QRCode = await import('qrcode');
  return QRCode.toBuffer(text, { ...QR_OPTIONS, type: 'png', scale: QR_PNG_SCALE });
}

export async function qrTerminal(text: string): Promise<string> {
  const QRCode = await import('qrcode');
  return QRCode.toString(text, { ...QR_OPTIONS, type: 'terminal', small: true });
}

export async function phoneConfig(dir: string, server: number): Promise<PhoneResult> {
  const state = await openSite(dir);
  const view = await serverView(state, server);
  const keys = generateWgKeyPair();
  const address = phoneAddress(state.base, server);
  const conf = phoneWgConf({ privateKey: keys.privateKey, address, server: view });
  const outDir = state.layout.phoneOut(server);
  const confFile = join(outDir, 'phone.conf');
  const pngFile = join(outDir, 'phone-qr.png');
  await writeSecretFile(confFile, conf);
  await writeSecretFile(pngFile, await qrPng(conf));
  state.rows = upsertRow(state.rows, {
    site: state.site.site,
    server,
    address,
    role: 'phone',
    device: `phone-${server}`,
    status: 'active',
    publicKey: keys.publicKey,
    certSerial: '',
  });
  await saveSite(state);
  const hub = await writeHubConfig(state, server);
  const dashboards = state.rows
    .filter((r) => r.server === server && r.role === 'gateway' && r.status === 'active')
    .map((r) => ({ device: r.device, url: dashboardUrl(dashboardPlan(state, r, undefined), r.address) }));
  return { server, address, confFile, pngFile, conf, terminalQr: await qrTerminal(conf), dashboards, hub };
}
