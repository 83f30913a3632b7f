// Parsing what the tools print and what the installer provisions: `wg show IF dump`, wg-quick configs,
// hosts files, OpenVPN management messages and profiles. Secrets are read past, never kept or echoed.

import { describe, expect, it } from 'vitest';
import { cipherArgs, cpuHasAes, inspectProfile, openvpnArgs } from '../../../daemon/vpn/openvpn-profile.js';
import { parseManagementLine } from '../../../daemon/vpn/openvpn-mgmt.js';
import { outputTail, redactKeys } from '../../../daemon/vpn/redact.js';
import { ipv4First, parseHosts } from '../../../daemon/vpn/resolver.js';
import { endpointHost, parseWgDump, WgDumpError } from '../../../daemon/vpn/wg-dump.js';
import {
  firstHostOf,
  parseEndpoint,
  parseWgConf,
  renderRuntimeConf,
  WgConfError,
} from '../../../daemon/vpn/wg-conf.js';
import { KEYS } from './fakes/keys.js';

describe('wg show IF dump', () => {
  // As printed by wg(8) for an interface with one peer that has a preshared key, and one that has none.
  const dump =
    [
      `${KEYS.gatewayPrivate}\t${KEYS.gatewayPublic}\t51820\toff`,
      `${KEYS.hubPublic}\t${KEYS.psk}\t203.0.113.10:51820\t10.99.0.0/24,fd00:99::/64\t1767225600\t4780\t9924\t25`,
      `${KEYS.phonePublic}\t(none)\t(none)\t(none)\t0\t0\t0\toff`,
    ].join('\n') + '\n';

  it('reads the peers and keeps no private or preshared key', () => {
    const parsed = parseWgDump(dump);
    expect(parsed.publicKey).toBe(KEYS.gatewayPublic);
    expect(parsed.listenPort).toBe(51820);
    expect(parsed.peers).toEqual([
      {
        publicKey: KEYS.hubPublic,
        endpoint: '203.0.113.10:51820',
        allowedIps: ['10.99.0.0/24', 'fd00:99::/64'],
        latestHandshakeS: 1767225600,
        rxBytes: 4780,
        txBytes: 9924,
        keepaliveS: 25,
      },
      {
        publicKey: KEYS.phonePublic,
        endpoint: null,
        allowedIps: [],
        latestHandshakeS: 0,
        rxBytes: 0,
        txBytes: 0,
        keepaliveS: null,
      },
    ]);
    const kept = JSON.stringify(parsed);
    expect(kept).not.toContain(KEYS.gatewayPrivate);
    expect(kept).not.toContain(KEYS.psk);
  });

  it('refuses output it does not understand without echoing a key', () => {
    expect(() => parseWgDump('')).toThrow(WgDumpError);
    expect(() => parseWgDump(`${KEYS.gatewayPrivate}\t${KEYS.gatewayPublic}\n`)).toThrow(/interface line/);
    try {
      parseWgDump(
        `${KEYS.gatewayPrivate}\t${KEYS.gatewayPublic}\t1\toff\n${KEYS.hubPublic}\t(none)\t(none)\t(none)\t${KEYS.psk}\t0\t0\toff`,
      );
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(/latest-handshake is not a number/);
      expect((err as Error).message).not.toContain(KEYS.psk);
      expect((err as Error).message).not.toContain(KEYS.gatewayPrivate);
    }
  });

  it('takes the host out of IPv4 and IPv6 endpoints', () => {
    expect(endpointHost('203.0.113.10:51820')).toBe('203.0.113.10');
    expect(endpointHost('[2001:db8::1]:51820')).toBe('2001:db8::1');
  });
});

describe('wg-quick config', () => {
  const conf = `# provisioned by smart-tank for farm-gw-01
[Interface]
PrivateKey = ${KEYS.gatewayPrivate}
Address = 10.99.0.3/24, fd00:99::3/64
ListenPort = 51820

[Peer]  # the farm's VPN server
PublicKey = ${KEYS.hubPublic}
PresharedKey = ${KEYS.psk}
Endpoint = hub.farm.example:51820
AllowedIPs = 10.99.0.0/24
PersistentKeepalive = 25

[peer]
publickey = ${KEYS.phonePublic}
endpoint = 198.51.100.7:41000
allowedips = 10.99.0.2/32
`;

  it('reads addresses and peers (keys case-insensitive, comments ignored)', () => {
    expect(parseWgConf(conf, 'wg0.conf')).toEqual({
      addresses: ['10.99.0.3/24', 'fd00:99::3/64'],
      peers: [
        {
          publicKey: KEYS.hubPublic,
          endpoint: { host: 'hub.farm.example', port: 51820, literal: false },
          allowedIps: ['10.99.0.0/24'],
          persistentKeepaliveS: 25,
        },
        {
          publicKey: KEYS.phonePublic,
          endpoint: { host: '198.51.100.7', port: 41000, literal: true },
          allowedIps: ['10.99.0.2/32'],
        },
      ],
    });
  });

  it('hands wg-quick resolved addresses for names, or no endpoint until the name resolves', () => {
    const parsed = parseWgConf(conf, 'wg0.conf');
    const resolved = renderRuntimeConf(conf, parsed, new Map([[0, '203.0.113.10:51820']]));
    expect(resolved).toContain('Endpoint = 203.0.113.10:51820 # hub.farm.example, resolved by smart-tank');
    expect(resolved).toContain('endpoint = 198.51.100.7:41000');
    expect(resolved).toContain(`PrivateKey = ${KEYS.gatewayPrivate}`);
    const unresolved = renderRuntimeConf(conf, parsed, new Map());
    expect(unresolved).not.toMatch(/^Endpoint = hub/m);
    expect(unresolved).toMatch(/^# Endpoint hub\.farm\.example:51820 not resolved yet/m);
    expect(parseWgConf(unresolved, 'x').peers[0]!.endpoint).toBeUndefined();
  });

  it('names the file and line of a mistake, never a value', () => {
    const bad = conf.replace('hub.farm.example:51820', 'hub.farm.example');
    expect(() => parseWgConf(bad, '/etc/smart-tank/vpn/wg0.conf')).toThrow(
      new WgConfError('/etc/smart-tank/vpn/wg0.conf:10: Endpoint must be host:port or [ipv6]:port'),
    );
    expect(() => parseWgConf('[Interface]\nAddress = 10.99.0.3/24\n', 'c')).toThrow(/no \[Peer\]/);
    expect(() => parseWgConf(`[Peer]\nPublicKey = ${KEYS.hubPublic}\n`, 'c')).toThrow(/no \[Interface\]/);
    try {
      parseWgConf(`[Interface]\nPrivateKey = ${KEYS.gatewayPrivate}\n[Peer]\nEndpoint = x:1\n`, 'c');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe('c: [Peer] number 1 has no PublicKey');
    }
  });

  it('parses endpoints and finds the server address of the address plan', () => {
    expect(parseEndpoint('[2001:db8::1]:51820')).toEqual({ host: '2001:db8::1', port: 51820, literal: true });
    expect(parseEndpoint('hub:0')).toBeUndefined();
    expect(firstHostOf('10.99.0.3/24')).toBe('10.99.0.1');
    expect(firstHostOf('10.99.7.200/16')).toBe('10.99.0.1');
    expect(firstHostOf('10.8.0.3')).toBe('10.8.0.1');
    expect(firstHostOf('fd00::3/64')).toBeUndefined();
  });
});

describe('hosts files', () => {
  it('maps names to addresses, IPv4 first, case-insensitive', () => {
    const hosts = parseHosts(
      '127.0.0.1 localhost\n# comment\n2001:db8::10 hub.farm.test\n203.0.113.10\thub.farm.test Hub # the hub\nnot-an-ip foo\n',
    );
    expect(ipv4First(hosts.get('hub.farm.test')!)).toEqual(['203.0.113.10', '2001:db8::10']);
    expect(hosts.get('hub')).toEqual(['203.0.113.10']);
    expect(hosts.has('foo')).toBe(false);
  });
});

describe('redaction', () => {
  it('blanks anything shaped like a WireGuard key', () => {
    const text = `[#] wg set wg0 private-key ${KEYS.gatewayPrivate} peer ${KEYS.hubPublic}`;
    expect(redactKeys(text)).toBe('[#] wg set wg0 private-key (key redacted) peer (key redacted)');
    expect(outputTail(`a\n\nb\nc ${KEYS.psk}\nd\n`, 2)).toBe('c (key redacted) | d');
  });
});

describe('OpenVPN management interface', () => {
  it('reads real-time state, byte counts, holds and failures', () => {
    expect(parseManagementLine('>STATE:1795298891,CONNECTED,SUCCESS,10.8.0.3,203.0.113.1,1194,,')).toEqual({
      type: 'state',
      state: {
        name: 'CONNECTED',
        detail: 'SUCCESS',
        localIp: '10.8.0.3',
        remoteIp: '203.0.113.1',
        remotePort: 1194,
      },
    });
    // The answer to `state` has no prefix.
    expect(parseManagementLine('1795298891,RECONNECTING,ping-restart,,,,,')).toMatchObject({
      type: 'state',
      state: { name: 'RECONNECTING', detail: 'ping-restart', localIp: null, remotePort: null },
    });
    expect(parseManagementLine('>BYTECOUNT:2034,2077')).toEqual({
      type: 'bytecount',
      rxBytes: 2034,
      txBytes: 2077,
    });
    expect(parseManagementLine('>HOLD:Waiting for hold release:0')).toEqual({ type: 'hold' });
    expect(
      parseManagementLine(
        ">PASSWORD:Verification Failed: 'Auth' ['Data channel cipher negotiation failed (no shared cipher)']",
      ),
    ).toEqual({ type: 'auth-failed', reason: 'Data channel cipher negotiation failed (no shared cipher)' });
    expect(parseManagementLine(">PASSWORD:Verification Failed: 'Auth'")).toEqual({
      type: 'auth-failed',
      reason: 'authentication failed',
    });
    expect(parseManagementLine('>FATAL:Cannot open TUN/TAP dev /dev/net/tun')).toEqual({
      type: 'fatal',
      message: 'Cannot open TUN/TAP dev /dev/net/tun',
    });
    for (const other of [
      'SUCCESS: hold release succeeded',
      'END',
      '>INFO:OpenVPN Management Interface Version 5',
    ])
      expect(parseManagementLine(other)).toEqual({ type: 'other' });
  });
});

describe('OpenVPN profiles and the command line', () => {
  const profile = `client
dev tun
proto udp
remote vpn.farm.example 1194
;remote 198.51.100.1 1194
auth-user-pass
remote-cert-tls server
<ca>
-----BEGIN CERTIFICATE-----
data-ciphers AES-256-GCM
-----END CERTIFICATE-----
</ca>
`;

  it('reads directives and skips inline blocks', () => {
    expect(inspectProfile(profile)).toEqual({
      needsCredentials: true,
      remotes: [{ host: 'vpn.farm.example', port: 1194 }],
    });
    expect(inspectProfile(`${profile}<auth-user-pass>\nu\np\n</auth-user-pass>\n`).needsCredentials).toBe(
      false,
    );
    expect(inspectProfile('auth-user-pass /etc/openvpn/pass\n').needsCredentials).toBe(false);
    expect(inspectProfile('data-ciphers AES-256-GCM:CHACHA20-POLY1305\n').dataCiphers).toEqual([
      'AES-256-GCM',
      'CHACHA20-POLY1305',
    ]);
  });

  it('asks for ChaCha20 alone where the profile and the server allow it', () => {
    const plain = inspectProfile(profile);
    expect(cipherArgs(plain, true, false)).toEqual(['--data-ciphers', 'CHACHA20-POLY1305']);
    expect(cipherArgs(plain, false, false)).toEqual([]);
    // The server refused it before: the profile decides.
    expect(cipherArgs(plain, true, true)).toEqual([]);
    // A profile that lists its ciphers without ChaCha20 is followed; one that lists it gets it.
    expect(cipherArgs(inspectProfile('data-ciphers AES-256-GCM\n'), true, false)).toEqual([]);
    expect(cipherArgs(inspectProfile('data-ciphers AES-256-GCM:CHACHA20-POLY1305\n'), true, false)).toEqual([
      '--data-ciphers',
      'CHACHA20-POLY1305',
    ]);
  });

  it('knows a CPU with AES instructions from one without (Pi 4)', () => {
    const x86 = 'processor\t: 0\nflags\t\t: fpu vme sse2 ssse3 aes avx\n';
    const pi5 = 'processor\t: 0\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32\n';
    const pi4 = 'processor\t: 0\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU part\t: 0xd08\n';
    const pi3armv7 =
      'processor\t: 0\nFeatures\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt\n';
    expect([x86, pi5, pi4, pi3armv7].map(cpuHasAes)).toEqual([true, true, false, false]);
  });

  it('puts its own options after the profile, which they override', () => {
    const args = openvpnArgs({
      profile: '/etc/smart-tank/vpn/gateway.ovpn',
      interface: 'tun0',
      managementSocket: '/run/smart-tank/vpn/openvpn.sock',
      pidFile: '/run/smart-tank/vpn/openvpn.pid',
      authFile: '/etc/smart-tank/vpn/auth.txt',
      cipher: ['--data-ciphers', 'CHACHA20-POLY1305'],
    });
    expect(args.slice(0, 2)).toEqual(['--config', '/etc/smart-tank/vpn/gateway.ovpn']);
    expect(args.join(' ')).toContain('--management /run/smart-tank/vpn/openvpn.sock unix --management-hold');
    expect(args.join(' ')).toContain('--auth-user-pass /etc/smart-tank/vpn/auth.txt');
    expect(args.slice(-2)).toEqual(['--data-ciphers', 'CHACHA20-POLY1305']);
  });
});
