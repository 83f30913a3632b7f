// The vpn section of the config: defaults in the schema, every problem with its exact key path, and the
// commented examples of daemon/config/example.yaml valid when uncommented.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, validateConfig } from '../../../daemon/config/load.js';
import { EXAMPLE_CONFIG_FILE, rawTank } from '../../helpers/config.js';

const base = { gateway: { id: 'gw', timezone: 'UTC' }, tanks: [rawTank()] };

function problems(vpn: unknown): string[] {
  try {
    validateConfig({ ...base, vpn });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('vpn config', () => {
  it('fills the defaults of each kind', () => {
    expect(validateConfig({ ...base, vpn: { kind: 'wireguard' } }).vpn).toEqual({
      kind: 'wireguard',
      interface: 'wg0',
      configFile: '/etc/smart-tank/vpn/wg0.conf',
      userspaceImplementation: 'wireguard-go',
      pollIntervalS: 5,
      staleAfterS: 60,
      downAfterS: 180,
      backoff: { initialS: 5, maxS: 300 },
      runtimeDir: '/run/smart-tank/vpn',
      runBy: 'daemon',
    });
    expect(validateConfig({ ...base, vpn: { kind: 'openvpn' } }).vpn).toMatchObject({
      kind: 'openvpn',
      profile: '/etc/smart-tank/vpn/gateway.ovpn',
      interface: 'tun0',
      cipherPreference: 'auto',
    });
    expect(validateConfig(base).vpn).toBeUndefined();
  });

  it('names each problem by its key path', () => {
    expect(
      problems({
        kind: 'wireguard',
        interface: 'wg-with-a-far-too-long-name',
        staleAfterS: 200,
        backoff: { initialS: 60, maxS: 30 },
        probeAddress: '10.99.0.300',
        authFile: '/x',
      }),
    ).toEqual(
      expect.arrayContaining([
        'vpn.authFile: unknown key for this kind (check the kind: key)',
        'vpn.interface: must be 1-15 characters: letters, digits, _ = + . -',
        'vpn.downAfterS: must be more than staleAfterS (200)',
        'vpn.backoff.maxS: must be at least backoff.initialS (60)',
        expect.stringMatching(/^vpn\.probeAddress: /),
      ]),
    );
    expect(problems({ kind: 'ipsec' })).toEqual([
      expect.stringMatching(/^vpn\.kind: .*'wireguard' \| 'openvpn'/),
    ]);
    expect(problems({ kind: 'openvpn', pollIntervalS: 10, staleAfterS: 10 })).toEqual([
      'vpn.staleAfterS: must be more than pollIntervalS (10)',
    ]);
  });

  it('the example blocks in example.yaml are valid when uncommented', () => {
    const text = readFileSync(EXAMPLE_CONFIG_FILE, 'utf8');
    const blocks = text
      .split(/^# vpn:\n/m)
      .slice(1)
      .map((b) =>
        b
          .split('\n')
          .filter((l) => /^# {3}\S/.test(l))
          .map((l) => l.slice(2))
          .join('\n'),
      );
    expect(blocks).toHaveLength(2);
    for (const block of blocks) {
      const vpn = parse(block) as Record<string, unknown>;
      expect(problems(vpn)).toEqual([]);
      expect(['wireguard', 'openvpn']).toContain(vpn.kind);
    }
  });
});
