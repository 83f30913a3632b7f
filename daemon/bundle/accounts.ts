// User and group names of the target system, from its /etc/passwd and /etc/group (Node has no
// getpwnam; a Raspberry Pi has local accounts only). Read under a root so tests can use a scratch tree.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Accounts {
  uid(name: string): number | undefined;
  gid(name: string): number | undefined;
}

/** name -> id from a passwd or group file (name:x:id:...); malformed lines are skipped. */
export function parseIdFile(text: string): Map<string, number> {
  const ids = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id !== undefined && /^\d+$/.test(id)) ids.set(name, Number(id));
  }
  return ids;
}

export async function readAccounts(root: string): Promise<Accounts> {
  const read = (file: string) => readFile(join(root, 'etc', file), 'utf8').catch(() => '');
  const users = parseIdFile(await read('passwd'));
  const groups = parseIdFile(await read('group'));
  return { uid: (name) => users.get(name), gid: (name) => groups.get(name) };
}
