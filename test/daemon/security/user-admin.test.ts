// The user files keep their owner and group when `smart-tank user` (as root) rewrites them: provisioning
// installs them smart-tank:mosquitto, and Mosquitto and the daemon must still read them afterwards.

import { chownSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../daemon/config/load.js';
import { addUser, loadUserFiles, saveUserFiles } from '../../../daemon/security/user-admin.js';
import { rawTank } from '../../helpers/config.js';

const OTHER_UID = 4242;
const OTHER_GID = 4343;

describe('saveUserFiles', () => {
  it('keeps the previous owner and group of each file (run as root)', async () => {
    if (process.getuid?.() !== 0) throw new Error('this test changes file owners: run it as root (CI does)');
    const dir = mkdtempSync(join(tmpdir(), 'st-users-'));
    const users = {
      passwordFile: join(dir, 'mqtt.passwd'),
      aclFile: join(dir, 'mqtt.acl'),
      hmacKeysFile: join(dir, 'hmac.keys'),
    };
    for (const f of Object.values(users)) {
      writeFileSync(f, '');
      chownSync(f, OTHER_UID, OTHER_GID);
    }
    const { mqtt } = validateConfig({ gateway: { id: 'gw' }, mqtt: { users }, tanks: [rawTank()] });
    const files = await loadUserFiles(mqtt);
    await addUser(files, 'alice', 'admin', 'alice-password-1', { hmac: true });
    await saveUserFiles(mqtt, files);
    for (const [f, mode] of [
      [users.passwordFile, 0o640],
      [users.aclFile, 0o640],
      [users.hmacKeysFile, 0o600],
    ] as const) {
      const s = statSync(f);
      expect([s.uid, s.gid, s.mode & 0o777], f).toEqual([OTHER_UID, OTHER_GID, mode]);
      expect(s.size, f).toBeGreaterThan(0);
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
