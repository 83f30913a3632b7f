// Changes to the users of the MQTT plane, applied to the three files both brokers read: the password
// file, the ACL (generated from the roles it records) and the HMAC keys. Each file is replaced atomically.

import { stat } from 'node:fs/promises';
import type { MqttConfig } from '../config/schema.js';
import { readFileIfExists, writeFileAtomic } from '../runtime/atomic-file.js';
import { formatHmacKeys, newHmacKey, parseHmacKeys } from './hmac.js';
import { formatPasswordFile, hashPassword, parsePasswordFile, validUsername } from './password-file.js';
import { generateAcl, usersFromAcl, type Role, type UserRecord } from './roles.js';

export const MIN_PASSWORD_LENGTH = 10;

export class UserAdminError extends Error {
  override name = 'UserAdminError';
}

export interface UserFiles {
  passwords: Map<string, string>;
  users: UserRecord[];
  keys: Map<string, Buffer>;
}

export async function loadUserFiles(mqtt: MqttConfig): Promise<UserFiles> {
  const u = mqtt.users;
  return {
    passwords: parsePasswordFile((await readFileIfExists(u.passwordFile)) ?? '', u.passwordFile),
    users: usersFromAcl((await readFileIfExists(u.aclFile)) ?? ''),
    keys: parseHmacKeys((await readFileIfExists(u.hmacKeysFile)) ?? ''),
  };
}

export async function saveUserFiles(mqtt: MqttConfig, files: UserFiles): Promise<void> {
  const u = mqtt.users;
  const scope = { prefix: mqtt.topicPrefix, discoveryPrefix: mqtt.homeAssistant.discoveryPrefix };
  // Mosquitto (group mosquitto in the image) and the daemon read the first two; only the daemon the keys.
  await replaceKeepingOwner(u.passwordFile, formatPasswordFile(files.passwords), 0o640);
  await replaceKeepingOwner(u.aclFile, generateAcl(files.users, scope), 0o640);
  await replaceKeepingOwner(u.hmacKeysFile, formatHmacKeys(files.keys), 0o600);
}

/**
 * Replaces a file atomically, keeping its owner and group: on the Pi they are smart-tank:mosquitto (the
 * device bundle's), and `sudo smart-tank user add` must not leave them root's, which neither the daemon
 * nor Mosquitto could read.
 */
async function replaceKeepingOwner(file: string, content: string, mode: number): Promise<void> {
  const before = await stat(file).catch(() => undefined);
  await writeFileAtomic(file, content, before ? { uid: before.uid, gid: before.gid, mode } : { mode });
}

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new UserAdminError(`the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (/[\r\n]/.test(password)) throw new UserAdminError('the password must be one line');
}

export async function addUser(
  files: UserFiles,
  user: string,
  role: Role,
  password: string,
  options: { canCommand?: boolean; hmac?: boolean } = {},
): Promise<{ hmacKey?: Buffer }> {
  if (!validUsername(user))
    throw new UserAdminError(`invalid user name "${user}": use letters, digits, _ . @ - (at most 64)`);
  if (files.passwords.has(user))
    throw new UserAdminError(`user "${user}" exists already (use: smart-tank user passwd)`);
  if (options.canCommand && role !== 'integrator')
    throw new UserAdminError('--can-command applies to integrators only (admins always may command)');
  checkPassword(password);
  files.passwords.set(user, await hashPassword(password));
  files.users = [
    ...files.users.filter((u) => u.user !== user),
    { user, role, canCommand: options.canCommand ?? false },
  ];
  if (options.hmac) {
    const key = newHmacKey();
    files.keys.set(user, key);
    return { hmacKey: key };
  }
  return {};
}

export async function setPassword(files: UserFiles, user: string, password: string): Promise<void> {
  if (!files.passwords.has(user)) throw new UserAdminError(`no user "${user}"`);
  checkPassword(password);
  files.passwords.set(user, await hashPassword(password));
}

export function deleteUser(files: UserFiles, user: string): void {
  if (!files.passwords.has(user)) throw new UserAdminError(`no user "${user}"`);
  files.passwords.delete(user);
  files.users = files.users.filter((u) => u.user !== user);
  files.keys.delete(user);
}
