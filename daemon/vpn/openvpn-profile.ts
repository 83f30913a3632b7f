// What the supervisor reads from an .ovpn profile (directives only; inline <ca>/<cert>/<key> blocks are
// skipped unread) and the command line it builds around it: the profile first, then the supervisor's own
// options, which override the profile's (openvpn applies options in order).

export interface ProfileFacts {
  /** The profile's own `data-ciphers` list, if it names one. */
  dataCiphers?: string[];
  /** `auth-user-pass` without a file: the credentials must come from the config's authFile. */
  needsCredentials: boolean;
  remotes: { host: string; port: number | null }[];
}

export const CHACHA20 = 'CHACHA20-POLY1305';

export function inspectProfile(text: string): ProfileFacts {
  const facts: ProfileFacts = { needsCredentials: false, remotes: [] };
  let inBlock: string | undefined;
  let asksCredentials = false;
  let inlineCredentials = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (inBlock) {
      if (line.toLowerCase() === `</${inBlock}>`) inBlock = undefined;
      continue;
    }
    const open = /^<([a-z0-9-]+)>$/i.exec(line);
    if (open) {
      inBlock = open[1]!.toLowerCase();
      // Inline credentials (OpenVPN 2.6): nothing needed from the config.
      if (inBlock === 'auth-user-pass') inlineCredentials = true;
      continue;
    }
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const [directive, ...args] = line.split(/\s+/);
    switch (directive?.toLowerCase()) {
      case 'data-ciphers':
      case 'ncp-ciphers':
        if (args[0]) facts.dataCiphers = args[0].split(':').filter(Boolean);
        break;
      case 'auth-user-pass':
        asksCredentials = args.length === 0;
        break;
      case 'remote':
        if (args[0]) facts.remotes.push({ host: args[0], port: args[1] ? Number(args[1]) : null });
        break;
    }
  }
  facts.needsCredentials = asksCredentials && !inlineCredentials;
  return facts;
}

/**
 * The data cipher to ask for. The server picks from its own list the first cipher the client offers, so
 * offering ChaCha20 alone is the only way to get it where it is allowed: unless the profile names its own
 * list without it, or the server refused it on an earlier attempt (then the profile decides).
 */
export function cipherArgs(facts: ProfileFacts, preferChaCha: boolean, chachaRefused: boolean): string[] {
  if (!preferChaCha || chachaRefused) return [];
  if (facts.dataCiphers && !facts.dataCiphers.includes(CHACHA20)) return [];
  return ['--data-ciphers', CHACHA20];
}

/** AES instructions in /proc/cpuinfo: "flags ... aes" on x86, "Features ... aes" on ARMv8 (not the Pi 4). */
export function cpuHasAes(cpuinfo: string): boolean {
  return cpuinfo
    .split('\n')
    .some((line) => /^(flags|features)\s*:/i.test(line) && /\baes\b/.test(line.slice(line.indexOf(':') + 1)));
}

export interface OpenVpnArgsInput {
  profile: string;
  interface: string;
  managementSocket: string;
  pidFile: string;
  authFile?: string;
  cipher: string[];
}

export function openvpnArgs(i: OpenVpnArgsInput): string[] {
  return [
    '--config',
    i.profile,
    '--dev',
    i.interface,
    '--dev-type',
    'tun',
    // The supervisor connects first, then lets openvpn go: no state change is missed.
    '--management',
    i.managementSocket,
    'unix',
    '--management-hold',
    '--writepid',
    i.pidFile,
    '--suppress-timestamps',
    ...(i.authFile ? ['--auth-user-pass', i.authFile] : []),
    ...i.cipher,
  ];
}
