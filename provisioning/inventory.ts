// The site inventory: one CSV line per address of the plan that is in use (VPN server, phone, tank
// gateway), sorted by server and address, so a change is a one-line diff in the installer's repository.
// It holds public facts only (public keys, certificate serials): never a private key or a password.

import { isDeepStrictEqual } from 'node:util';

export type InventoryRole = 'server' | 'phone' | 'gateway';
export type InventoryStatus = 'active' | 'revoked';

export interface InventoryRow {
  site: string;
  server: number;
  address: string;
  role: InventoryRole;
  /** Device id: the gateway id for tanks, `server-N` and `phone-N` for the others. */
  device: string;
  status: InventoryStatus;
  /** WireGuard public key (base64); empty until the device is bundled (or for OpenVPN gateways). */
  publicKey: string;
  /** Serial (hex) of the device's current TLS certificate; empty when it has none. */
  certSerial: string;
}

export const INVENTORY_HEADER = 'site,server,address,role,device,status,public_key,cert_serial';
const ROLES: readonly InventoryRole[] = ['server', 'phone', 'gateway'];
const STATUSES: readonly InventoryStatus[] = ['active', 'revoked'];
const PUBLIC_KEY = /^$|^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
const SERIAL = /^$|^[0-9A-F]{2,64}$/;
/** What the CSV can hold without quoting: the fields never contain commas, quotes or spaces. */
const PLAIN = /^[A-Za-z0-9_.:@/+=-]*$/;

export class InventoryError extends Error {
  override name = 'InventoryError';
}

export function parseInventory(text: string, source: string): InventoryRow[] {
  const rows: InventoryRow[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const at = `${source}:${i + 1}`;
    if (line === '' || line.startsWith('#')) return;
    if (line === INVENTORY_HEADER) return;
    const f = line.split(',');
    if (f.length !== 8)
      throw new InventoryError(`${at}: expected 8 fields (${INVENTORY_HEADER}), found ${f.length}`);
    const [site, server, address, role, device, status, publicKey, certSerial] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!/^\d+$/.test(server)) throw new InventoryError(`${at}: server "${server}" must be a number`);
    if (!ROLES.includes(role as InventoryRole))
      throw new InventoryError(`${at}: role "${role}" must be one of ${ROLES.join(', ')}`);
    if (!STATUSES.includes(status as InventoryStatus))
      throw new InventoryError(`${at}: status "${status}" must be one of ${STATUSES.join(', ')}`);
    if (!PUBLIC_KEY.test(publicKey))
      throw new InventoryError(`${at}: public_key of ${device} is not a WireGuard public key`);
    if (!SERIAL.test(certSerial))
      throw new InventoryError(`${at}: cert_serial of ${device} must be upper-case hex`);
    if (!device) throw new InventoryError(`${at}: device is empty`);
    rows.push({
      site,
      server: Number(server),
      address,
      role: role as InventoryRole,
      device,
      status: status as InventoryStatus,
      publicKey,
      certSerial,
    });
  });
  checkUnique(rows, source);
  return rows;
}

function checkUnique(rows: readonly InventoryRow[], source: string): void {
  const addresses = new Map<string, string>();
  const devices = new Set<string>();
  for (const r of rows) {
    const holder = addresses.get(r.address);
    if (holder)
      throw new InventoryError(`${source}: ${r.address} is listed twice (${holder} and ${r.device})`);
    addresses.set(r.address, r.device);
    if (devices.has(r.device)) throw new InventoryError(`${source}: device ${r.device} is listed twice`);
    devices.add(r.device);
  }
}

export function formatInventory(rows: readonly InventoryRow[]): string {
  const sorted = [...rows].sort((a, b) => a.server - b.server || lastOctet(a.address) - lastOctet(b.address));
  const lines = sorted.map((r) => {
    const fields = [
      r.site,
      String(r.server),
      r.address,
      r.role,
      r.device,
      r.status,
      r.publicKey,
      r.certSerial,
    ];
    for (const f of fields)
      if (!PLAIN.test(f)) throw new InventoryError(`inventory field "${f}" of ${r.device} cannot be written`);
    return fields.join(',');
  });
  return [INVENTORY_HEADER, ...lines].join('\n') + '\n';
}

function lastOctet(ip: string): number {
  return Number(ip.split('.').pop());
}

export function findDevice(rows: readonly InventoryRow[], device: string): InventoryRow | undefined {
  return rows.find((r) => r.device === device);
}

/** Rows with `device` replaced by `row` (or added). */
export function upsertRow(rows: readonly InventoryRow[], row: InventoryRow): InventoryRow[] {
  const i = rows.findIndex((r) => r.device === row.device);
  if (i < 0) return [...rows, row];
  if (isDeepStrictEqual(rows[i], row)) return [...rows];
  return rows.map((r, j) => (j === i ? row : r));
}

/** Every address in use on a server (active or revoked: a revoked address is never given out again). */
export function takenAddresses(rows: readonly InventoryRow[], server: number): Map<string, string> {
  return new Map(
    rows
      .filter((r) => r.server === server)
      .map((r) => [r.address, r.status === 'revoked' ? `${r.device} (revoked)` : r.device]),
  );
}
