// Name resolution for tunnel endpoints: the system resolver (a dynamic-DNS name of the farm's server), or
// a hosts-format file the config points at (tests; a site without DNS). Both bounded in time; IPv4 first
// (a gateway behind a farm router almost always reaches the server over IPv4).

import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';

export interface Resolver {
  /** Addresses of `host`, IPv4 first; rejects when there are none. */
  resolve(host: string): Promise<string[]>;
  readonly description: string;
}

/** getaddrinfo has no deadline of its own; a resolver that does not answer in this long has failed. */
export const RESOLVE_TIMEOUT_MS = 5_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function ipv4First(addresses: string[]): string[] {
  return [...new Set(addresses)].sort((a, b) => isIP(a) - isIP(b));
}

export const systemResolver: Resolver = {
  description: 'system resolver',
  async resolve(host) {
    const found = await withTimeout(lookup(host, { all: true }), RESOLVE_TIMEOUT_MS, `resolving ${host}`);
    const addresses = ipv4First(found.map((a) => a.address));
    if (addresses.length === 0) throw new Error(`resolving ${host}: no address`);
    return addresses;
  },
};

/** /etc/hosts format: an address, then names; # starts a comment. */
export function parseHosts(text: string): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const [address, ...aliases] = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || isIP(address) === 0) continue;
    for (const alias of aliases) {
      const key = alias.toLowerCase();
      names.set(key, [...(names.get(key) ?? []), address]);
    }
  }
  return names;
}

/** Reads the file at every lookup: whoever maintains it may change it at any time. */
export function hostsFileResolver(file: string): Resolver {
  return {
    description: `hosts file ${file}`,
    async resolve(host) {
      const text = await withTimeout(readFile(file, 'utf8'), RESOLVE_TIMEOUT_MS, `reading ${file}`);
      const addresses = ipv4First(parseHosts(text).get(host.toLowerCase()) ?? []);
      if (addresses.length === 0) throw new Error(`${host} is not in ${file}`);
      return addresses;
    },
  };
}
