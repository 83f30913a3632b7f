// A gateway's MQTT users, made once per bundle: the daemon's own login (role gateway) and the first
// admin (the farmer's login on the dashboard and MQTT), each with a fresh random password, written in
// the formats both brokers read (daemon/security: Mosquitto's password file, the ACL generated from
// the roles, the HMAC keys file). Also the password of the gateway's bridge to the fleet hub.

import { randomBytes, randomInt } from 'node:crypto';
import { formatHmacKeys } from '../daemon/security/hmac.js';
import { formatPasswordFile, hashPassword } from '../daemon/security/password-file.js';
import { generateAcl } from '../daemon/security/roles.js';
import { addUser, type UserFiles } from '../daemon/security/user-admin.js';

/** 24 random bytes: for logins only machines type. */
export function machinePassword(): string {
  return randomBytes(24).toString('base64url');
}

/** No 0/O, 1/l/I: a password a farmer reads off paper and types on a phone. 32 symbols = 5 bits each. */
const READABLE_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const READABLE_GROUPS = 4;
const READABLE_GROUP_LENGTH = 5;

/** 20 symbols in groups of 5 (100 bits), e.g. `kq7fm-x3hzp-9rtad-m2wce`. */
export function readablePassword(): string {
  const groups: string[] = [];
  for (let g = 0; g < READABLE_GROUPS; g++) {
    let s = '';
    for (let i = 0; i < READABLE_GROUP_LENGTH; i++)
      s += READABLE_ALPHABET[randomInt(READABLE_ALPHABET.length)];
    groups.push(s);
  }
  return groups.join('-');
}

export interface GatewayCredentials {
  gatewayPassword: string;
  admin: { user: string; password: string };
  /** Contents of mqtt.passwd, mqtt.acl, hmac.keys. */
  passwordFile: string;
  aclFile: string;
  hmacKeysFile: string;
}

/**
 * A fleet operator as a gateway knows them: the same user name and password hash as on the fleet page
 * (so they may also log in to this gateway's own dashboard), their role, and for an admin the HMAC key
 * the fleet service signs their commands with. The gateway requires the signature from a user with a key,
 * so a command under their name that did not come from the fleet service is refused and audited.
 */
export interface GatewayOperator {
  user: string;
  role: 'admin' | 'viewer';
  passwordHash: string;
  hmacKey?: Buffer;
}

export async function makeGatewayCredentials(p: {
  adminUser: string;
  gatewayUser: string;
  prefix: string;
  discoveryPrefix: string;
  operators?: readonly GatewayOperator[];
}): Promise<GatewayCredentials> {
  const files: UserFiles = { passwords: new Map(), users: [], keys: new Map() };
  const gatewayPassword = machinePassword();
  const adminPassword = readablePassword();
  await addUser(files, p.gatewayUser, 'gateway', gatewayPassword);
  await addUser(files, p.adminUser, 'admin', adminPassword);
  for (const o of p.operators ?? []) {
    if (files.passwords.has(o.user))
      throw new Error(`fleet operator "${o.user}" has the name of this gateway's own user: rename one`);
    files.passwords.set(o.user, o.passwordHash);
    files.users.push({ user: o.user, role: o.role, canCommand: false });
    if (o.hmacKey) files.keys.set(o.user, o.hmacKey);
  }
  return {
    gatewayPassword,
    admin: { user: p.adminUser, password: adminPassword },
    passwordFile: formatPasswordFile(files.passwords),
    aclFile: generateAcl(files.users, { prefix: p.prefix, discoveryPrefix: p.discoveryPrefix }),
    hmacKeysFile: formatHmacKeys(files.keys),
  };
}

/** One Mosquitto password-file line for the hub broker (the bridge's login there). */
export async function hubPasswordLine(user: string, password: string): Promise<string> {
  return `${user}:${await hashPassword(password)}`;
}
