// Config schema of the VPN client tunnel (WireGuard or OpenVPN). Part of the one config schema (schema.ts).
//
// The supervisor's clock: every `pollIntervalS` it looks at the tunnel; nothing received through it for
// `staleAfterS` makes it stale (endpoint re-resolved, probes sent); for `downAfterS` (or no session at all)
// makes it down, and the interface or process is restarted, backing off from `backoff.initialS` to
// `backoff.maxS` while it stays down. The tank never waits for any of this.

import * as z from './zod.js';

/** Linux interface names: at most 15 characters (IFNAMSIZ - 1); wg-quick allows only these characters. */
const interfaceName = z
  .string()
  .check(z.regex(/^[a-zA-Z0-9_=+.-]{1,15}$/, 'must be 1-15 characters: letters, digits, _ = + . -'));

const supervision = {
  /** How often the tunnel is looked at (`wg show IF dump`; OpenVPN's byte counters). */
  pollIntervalS: z._default(z.number().check(z.gte(0.1), z.lte(60)), 5),
  /** Nothing received through the tunnel for this long: stale. The endpoint name is resolved again. */
  staleAfterS: z._default(z.number().check(z.positive()), 60),
  /** Nothing received (or no session) for this long: down. The tunnel is restarted, with backoff. */
  downAfterS: z._default(z.number().check(z.positive()), 180),
  /** Pause between restarts while the tunnel stays down: doubles from initialS up to maxS. */
  backoff: z.prefault(
    z.strictObject({
      initialS: z._default(z.number().check(z.positive()), 5),
      maxS: z._default(z.number().check(z.positive()), 300),
    }),
    {},
  ),
  /**
   * A quiet tunnel is probed with a one-byte UDP datagram to this address (port 9, discard): the server
   * answers (ICMP port unreachable, or WireGuard's keepalive), which proves the path works. Default: the
   * first address of the tunnel subnet, the VPN server in the address plan (.1). "none": no probes
   * (then the server must send keepalives more often than staleAfterS).
   */
  probeAddress: z.optional(z.union([z.ipv4(), z.literal('none')])),
  /** Private runtime files (mode 0700): the generated tunnel config, sockets. Keep on tmpfs. */
  runtimeDir: z._default(z.string().check(z.minLength(1)), '/run/smart-tank/vpn'),
  /** The supervisor's last report (no secrets, readable by all): `smart-tank vpn status`, the daemon. */
  statusFile: z.optional(z.string().check(z.minLength(1))),
  /**
   * Who runs the tunnel. daemon: the gateway daemon itself (needs root for wg-quick, or CAP_NET_ADMIN and
   * /dev/net/tun for OpenVPN). service: the privileged smart-tank-vpn.service (`smart-tank vpn run`), so
   * the daemon that faces MQTT and the dashboard keeps no privileges; the daemon then only follows the
   * status file for its telemetry.
   */
  runBy: z._default(z.enum(['daemon', 'service']), 'daemon'),
};

export const wireguardVpnSchema = z.strictObject({
  kind: z.literal('wireguard'),
  /** Interface name (wg-quick names the interface after its config file). */
  interface: z._default(interfaceName, 'wg0'),
  /** wg-quick style config provisioned by the installer (holds the private key: mode 0600). */
  configFile: z._default(z.string().check(z.minLength(1)), '/etc/smart-tank/vpn/wg0.conf'),
  /** Userspace WireGuard used by wg-quick when the kernel has no module. */
  userspaceImplementation: z._default(z.string().check(z.minLength(1)), 'wireguard-go'),
  /**
   * Resolve endpoint names from this hosts-format file instead of DNS (tests; a farm without DNS).
   * Absent: the system resolver.
   */
  hostsFile: z.optional(z.string().check(z.minLength(1))),
  ...supervision,
});

export const openvpnVpnSchema = z.strictObject({
  kind: z.literal('openvpn'),
  /** The .ovpn profile the farm's server issued (inline certificates, or certificates beside it). */
  profile: z._default(z.string().check(z.minLength(1)), '/etc/smart-tank/vpn/gateway.ovpn'),
  /** For auth-user-pass servers: a file with the user name on the first line, the password on the second. */
  authFile: z.optional(z.string().check(z.minLength(1))),
  /** Tunnel interface name (passed as --dev, type tun). */
  interface: z._default(interfaceName, 'tun0'),
  /** OpenVPN management socket. Default: <runtimeDir>/openvpn.sock. */
  managementSocket: z.optional(z.string().check(z.minLength(1))),
  /**
   * Data channel cipher. auto: CHACHA20-POLY1305 when this CPU has no AES instructions (Pi 4 and older),
   * else what the profile says; chacha20: always ask for it; profile: never change the profile's choice.
   * A profile that names its own data-ciphers without ChaCha20, or a server that refuses it, is followed.
   */
  cipherPreference: z._default(z.enum(['auto', 'chacha20', 'profile']), 'auto'),
  ...supervision,
});

export const vpnSchema = z.discriminatedUnion('kind', [wireguardVpnSchema, openvpnVpnSchema]).check(
  z.superRefine((vpn, ctx) => {
    if (vpn.staleAfterS <= vpn.pollIntervalS)
      ctx.addIssue({
        code: 'custom',
        path: ['staleAfterS'],
        message: `must be more than pollIntervalS (${vpn.pollIntervalS})`,
      });
    if (vpn.downAfterS <= vpn.staleAfterS)
      ctx.addIssue({
        code: 'custom',
        path: ['downAfterS'],
        message: `must be more than staleAfterS (${vpn.staleAfterS})`,
      });
    if (vpn.backoff.maxS < vpn.backoff.initialS)
      ctx.addIssue({
        code: 'custom',
        path: ['backoff', 'maxS'],
        message: `must be at least backoff.initialS (${vpn.backoff.initialS})`,
      });
  }),
);

export type WireGuardVpnConfig = z.infer<typeof wireguardVpnSchema>;
export type OpenVpnConfig = z.infer<typeof openvpnVpnSchema>;

/** Where the supervisor writes its state for `smart-tank vpn status` and the daemon. */
export function vpnStatusFile(vpn: { runtimeDir: string; statusFile?: string }): string {
  return vpn.statusFile ?? `${vpn.runtimeDir.replace(/\/+$/, '')}/status.json`;
}
