// What the dashboard's unit tests share: real users on temporary files (the same password file and ACL
// as the MQTT plane), the real login check with its audit collected, and requests as plain data.

import { join } from 'node:path';
import { silentLogger } from '../../../daemon/log.js';
import type { AuditEntry } from '../../../daemon/security/audit-log.js';
import { Credentials } from '../../../daemon/security/credentials.js';
import { LoginGuard } from '../../../daemon/security/login-guard.js';
import { addUser, loadUserFiles, saveUserFiles } from '../../../daemon/security/user-admin.js';
import type { WebRequest } from '../../../daemon/web/http.js';
import { configWith, rawTank } from '../../helpers/config.js';
import { tempDir } from '../../helpers/daemon.js';

export const PASSWORD = {
  alice: 'alice-password-1',
  vic: 'viewer-password-1',
  gateway: 'gateway-password-1',
};

export async function users(now: () => number = () => 0) {
  const dir = tempDir('web-users-');
  const config = configWith([rawTank()], {
    mqtt: {
      users: {
        passwordFile: join(dir, 'passwd'),
        aclFile: join(dir, 'acl'),
        hmacKeysFile: join(dir, 'keys'),
      },
    },
  });
  const files = await loadUserFiles(config.mqtt);
  await addUser(files, 'alice', 'admin', PASSWORD.alice);
  await addUser(files, 'vic', 'viewer', PASSWORD.vic);
  await addUser(files, 'gateway', 'gateway', PASSWORD.gateway);
  await saveUserFiles(config.mqtt, files);
  const credentials = new Credentials(config.mqtt.users, silentLogger);
  await credentials.refresh();
  const audit: AuditEntry[] = [];
  const login = new LoginGuard({
    credentials,
    policy: { maxFailures: 5, lockoutMs: 15 * 60_000 },
    audit: (e) => audit.push(e),
    log: silentLogger,
    now,
    reserved: ['gateway'],
  });
  return { dir, config, credentials, login, audit };
}

export function request(partial: Partial<WebRequest> & { path: string }): WebRequest {
  return {
    method: 'GET',
    query: new URLSearchParams(),
    headers: { host: '127.0.0.1:8080' },
    address: '127.0.0.1',
    secure: false,
    params: {},
    ...partial,
  };
}

/** The JSON body of a plain response. */
export function body(r: unknown): Record<string, unknown> {
  const b = (r as { body?: string | Buffer }).body;
  return JSON.parse(String(b)) as Record<string, unknown>;
}
