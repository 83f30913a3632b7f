// The fleet service's config: every problem at once with its key path; relative paths from its folder.

import { describe, expect, it } from 'vitest';
import { validateFleetConfig } from '../../../daemon/fleet/config.js';
import { ConfigError } from '../../../daemon/config/load.js';

const GOOD = {
  central: { urls: ['mqtt://central-1:1883'], username: 'fleet', passwordFile: 'central-password' },
  users: { passwordFile: 'users.passwd', aclFile: 'users.acl', hmacKeysFile: 'hmac.keys' },
  inventoryFiles: ['inventory.csv'],
  stateDir: 'state',
};

describe('fleet config', () => {
  it('takes relative paths from its folder, with the defaults filled in', () => {
    const c = validateFleetConfig(GOOD, '/etc/smart-tank-fleet/fleet.yaml');
    expect(c.central.passwordFile).toBe('/etc/smart-tank-fleet/central-password');
    expect(c.inventoryFiles).toEqual(['/etc/smart-tank-fleet/inventory.csv']);
    expect(c.web.listen).toEqual([{ host: '127.0.0.1', port: 8090 }]);
    expect(c.liveness).toEqual({ offlineAfterS: 180, staleAfterS: 900 });
  });

  it('reports every problem at once with its key path', () => {
    let err: ConfigError | undefined;
    try {
      validateFleetConfig(
        {
          ...GOOD,
          central: { urls: ['http://x'], username: 'fleet' },
          web: { listen: [{ host: '8.8.8.8' }] },
          liveness: { offlineAfterS: -1 },
          extra: 1,
        },
        'fleet.yaml',
      );
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const paths = err!.problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'central.urls[0]',
        'central.passwordFile',
        'web.listen[0].host',
        'liveness.offlineAfterS',
        'extra',
      ]),
    );
  });

  it('refuses a stale limit below the offline limit', () => {
    expect(() =>
      validateFleetConfig({ ...GOOD, liveness: { offlineAfterS: 600, staleAfterS: 300 } }, 'f.yaml'),
    ).toThrow(/liveness.staleAfterS/);
  });
});
