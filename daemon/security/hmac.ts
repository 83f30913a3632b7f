// Signed commands: HMAC-SHA256 over the command's canonical JSON (keys sorted, `sig` left out), base64.
// Keys live in a 0600 file of `user:base64key` lines, one per user that signs.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const HMAC_KEY_BYTES = 32;

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function signCommand(command: Record<string, unknown>, key: Buffer): string {
  const { sig: _ignored, ...unsigned } = command;
  return createHmac('sha256', key).update(canonicalJson(unsigned)).digest('base64');
}

export function signatureValid(command: Record<string, unknown>, key: Buffer): boolean {
  const sig = command.sig;
  if (typeof sig !== 'string') return false;
  const given = Buffer.from(sig, 'base64');
  const expected = Buffer.from(signCommand(command, key), 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function newHmacKey(): Buffer {
  return randomBytes(HMAC_KEY_BYTES);
}

export function parseHmacKeys(text: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) keys.set(line.slice(0, colon), Buffer.from(line.slice(colon + 1), 'base64'));
  }
  return keys;
}

export function formatHmacKeys(keys: Map<string, Buffer>): string {
  return [...keys].map(([u, k]) => `${u}:${k.toString('base64')}`).join('\n') + (keys.size ? '\n' : '');
}
