// Mosquitto's password file format, so one file serves both brokers: `user:$7$<iterations>$<salt>$<hash>`
// with PBKDF2-SHA512, base64 salt (12 bytes) and hash (64 bytes). mosquitto_passwd uses 101 iterations;
// we write more (Mosquitto reads the count from the line), and verify any count.

import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** Enough to make offline guessing slow, little enough for a Pi Zero (~30 ms a login). */
export const PASSWORD_ITERATIONS = 20_000;
const SALT_BYTES = 12;
const HASH_BYTES = 64;
const USERNAME = /^[A-Za-z0-9_.@-]{1,64}$/;

export interface PasswordEntry {
  user: string;
  hash: string;
}

export class PasswordFileError extends Error {
  override name = 'PasswordFileError';
}

export function parsePasswordFile(text: string, source = 'password file'): Map<string, string> {
  const entries = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new PasswordFileError(`${source}:${i + 1}: expected user:hash`);
    entries.set(line.slice(0, colon), line.slice(colon + 1));
  });
  return entries;
}

export function formatPasswordFile(entries: Map<string, string>): string {
  return [...entries].map(([user, hash]) => `${user}:${hash}`).join('\n') + (entries.size ? '\n' : '');
}

export function validUsername(user: string): boolean {
  return USERNAME.test(user);
}

export async function hashPassword(password: string, iterations = PASSWORD_ITERATIONS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await pbkdf2Async(password, salt, iterations, HASH_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Checks a password against a `$7$` hash in constant time; false for any other or malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  // ['', '7', iterations, salt, hash]
  if (parts.length !== 5 || parts[1] !== '7') return false;
  const iterations = Number(parts[2]);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000) return false;
  const salt = Buffer.from(parts[3]!, 'base64');
  const expected = Buffer.from(parts[4]!, 'base64');
  if (expected.length === 0) return false;
  const actual = await pbkdf2Async(password, salt, iterations, expected.length, 'sha512');
  return timingSafeEqual(actual, expected);
}
