// `sudo smart-tank user add` on a Pi rewrites the password file, the ACL and the HMAC keys: they keep the
// owner and group the device bundle gave them (smart-tank:mosquitto), or neither the daemon nor Mosquitto
// could read them after the change. (The tests run as root, as the command does on a Pi.)

import { chownSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addUser, loadUserFiles, saveUserFiles } from '../../../daemon/security/user-admin.js';
import { exampleConfig } from '../../helpers/config.js';
import { tempDir } from '../../helpers/daemon.js';

describe('saving the MQTT user files', () => {
  it('keeps each file owner and group, with the modes Mosquitto and the daemon need', async () => {
    const dir = tempDir('user-files-');
    const mqtt = exampleConfig().mqtt;
    mqtt.users.passwordFile = join(dir, 'mqtt.passwd');
    mqtt.users.aclFile = join(dir, 'mqtt.acl');
    mqtt.users.hmacKeysFile = join(dir, 'hmac.keys');
    const owners = { passwordFile: [991, 992], aclFile: [991, 992], hmacKeysFile: [991, 991] } as const;
    for (const [key, [uid, gid]] of Object.entries(owners)) {
      const file = mqtt.users[key as keyof typeof owners];
      writeFileSync(file, '');
      chownSync(file, uid, gid);
    }
    const files = await loadUserFiles(mqtt);
    await addUser(files, 'vic', 'viewer', 'viewer-password-1');
    await saveUserFiles(mqtt, files);
    const seen = Object.keys(owners).map((key) => {
      const st = statSync(mqtt.users[key as keyof typeof owners]);
      return [key, st.uid, st.gid, st.mode & 0o777];
    });
    expect(seen).toEqual([
      ['passwordFile', 991, 992, 0o640],
      ['aclFile', 991, 992, 0o640],
      ['hmacKeysFile', 991, 991, 0o600],
    ]);
    // A file that did not exist is made by whoever runs the command, with the same mode.
    const fresh = { ...mqtt, users: { ...mqtt.users, aclFile: join(dir, 'new.acl') } };
    await saveUserFiles(fresh, files);
    expect(statSync(fresh.users.aclFile).mode & 0o777).toBe(0o640);
  });
});
