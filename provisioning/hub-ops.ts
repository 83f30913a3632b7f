// The VPN server's side, regenerated from the inventory: its complete wg0.conf (a peer per active phone
// and gateway of that server) and, for the fleet hub broker on it, the password and ACL entries of its
// gateways' bridges. `provision revoke` retires a device: inventory, certificate (CRL), bridge login, and
// the server's config regenerated without it.

import { join } from 'node:path';
import { readBridgePasswords, serverView, setBridgePassword } from './bundle-ops.js';
import { findDevice, upsertRow, type InventoryRow } from './inventory.js';
import { hubAcl } from './mosquitto-files.js';
import { bridgedGateways, centralPassword } from './fleet-ops.js';
import { centralBridgeConf, hubBrokerConf, hubCentralUser, hubSystemdDropIn } from './fleet-hub-files.js';
import { serverAddress } from './address-plan.js';
import { revokeCert, type CrlReason } from './pki.js';
import { writePublicFile, writeSecretFile } from './secret-files.js';
import { SiteError, serverOf } from './site.js';
import { openSite, readSecret, saveSite, type SiteState } from './site-store.js';
import { serverWgConf } from './wg-configs.js';

export interface HubConfigResult {
  server: number;
  wgConf: string;
  peers: number;
  /** Devices of this server without a key yet (not bundled), or revoked: no peer. */
  withoutPeer: string[];
  bridge?: {
    passwordFile: string;
    aclFile: string;
    gateways: number;
    /** The hub broker's own Mosquitto drop-in and systemd drop-in. */
    brokerConf: string;
    systemdDropIn: string;
    /** Its bridge to the central tier, once the site has central nodes (provision central-config). */
    centralBridge?: string;
  };
}

export async function writeHubConfig(state: SiteState, server: number): Promise<HubConfigResult> {
  serverOf(state.site, server);
  const privateKey = await readSecret(state.layout.serverKey(server), `the private key of server-${server}`);
  const view = await serverView(state, server);
  const clients = state.rows.filter((r) => r.server === server && r.role !== 'server');
  const peers = clients.map((r) => ({
    device: r.device,
    role: r.role as 'phone' | 'gateway',
    address: r.address,
    publicKey: r.publicKey,
    active: r.status === 'active',
  }));
  const outDir = state.layout.serverOut(server);
  const wgConf = join(outDir, 'wg0.conf');
  await writeSecretFile(wgConf, serverWgConf({ site: state.site.site, server: view, privateKey, peers }));
  const result: HubConfigResult = {
    server,
    wgConf,
    peers: peers.filter((p) => p.active && p.publicKey).length,
    withoutPeer: peers.filter((p) => !p.active || !p.publicKey).map((p) => p.device),
  };
  if (state.site.fleet.enabled) {
    const lines = await readBridgePasswords(state);
    const gateways = clients.filter(
      (r) => r.role === 'gateway' && r.status === 'active' && lines.has(r.device),
    );
    const passwordFile = join(outDir, 'fleet-bridges.passwd');
    const aclFile = join(outDir, 'fleet-bridges.acl');
    await writeSecretFile(passwordFile, gateways.map((g) => lines.get(g.device)! + '\n').join(''));
    await writeSecretFile(
      aclFile,
      hubAcl(
        state.site.site,
        server,
        state.site.topicPrefix,
        gateways.map((g) => ({ device: g.device, username: g.device })),
      ),
    );
    const brokerConf = join(outDir, 'fleet-hub.conf');
    const systemdDropIn = join(outDir, 'mosquitto.service.d', 'fleet-hub.conf');
    await writePublicFile(
      brokerConf,
      hubBrokerConf({
        site: state.site.site,
        server,
        address: serverAddress(state.base, server),
        port: state.site.fleet.port,
      }),
    );
    await writePublicFile(systemdDropIn, hubSystemdDropIn(server));
    result.bridge = { passwordFile, aclFile, gateways: gateways.length, brokerConf, systemdDropIn };
    if (state.site.fleet.central.length > 0) {
      const centralBridge = join(outDir, 'fleet-central.conf');
      await writeSecretFile(
        centralBridge,
        centralBridgeConf({
          site: state.site.site,
          server,
          prefix: state.site.topicPrefix,
          nodes: state.site.fleet.central,
          devices: await bridgedGateways(state, server),
          password: await centralPassword(state, hubCentralUser(server)),
        }),
      );
      result.bridge.centralBridge = centralBridge;
    }
  }
  return result;
}

export async function hubConfig(dir: string, server: number): Promise<HubConfigResult> {
  return writeHubConfig(await openSite(dir), server);
}

export interface RevokeResult {
  row: InventoryRow;
  revokedSerial?: string;
  hub: HubConfigResult;
}

export async function revokeDevice(dir: string, device: string, reason: CrlReason): Promise<RevokeResult> {
  const state = await openSite(dir);
  const row = findDevice(state.rows, device);
  if (!row) throw new SiteError(`no device ${device} in the inventory`);
  if (row.role === 'server')
    throw new SiteError(
      `${device} is a VPN server: servers are not revoked (their devices would all lose the tunnel)`,
    );
  if (row.status === 'revoked') throw new SiteError(`${device} is revoked already`);
  if (row.certSerial) await revokeCert(state.layout, row.certSerial, reason);
  if (row.role === 'gateway') await setBridgePassword(state, device, undefined);
  const revoked: InventoryRow = { ...row, status: 'revoked' };
  state.rows = upsertRow(state.rows, revoked);
  await saveSite(state);
  const hub = await writeHubConfig(state, row.server);
  return { row: revoked, ...(row.certSerial ? { revokedSerial: row.certSerial } : {}), hub };
}
