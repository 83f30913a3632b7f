// Mosquitto's ACL file format, parsed and evaluated, so the embedded broker enforces exactly the file
// Mosquitto reads. Supported: `user NAME`, `topic [read|write|readwrite|deny] FILTER` (for the current
// user, or anonymous before any `user` line), `pattern [..] FILTER` (every user, with %u and %c).

import { filtersIntersect, topicMatches } from './topic-match.js';

export type Access = 'read' | 'write' | 'readwrite' | 'deny';

export interface AclRule {
  access: Access;
  filter: string;
  /** `pattern` rules: %u and %c are replaced for the client being checked. */
  pattern: boolean;
}

export interface Acl {
  /** Rules for clients without a username. */
  anonymous: AclRule[];
  users: Map<string, AclRule[]>;
  patterns: AclRule[];
}

export class AclFileError extends Error {
  override name = 'AclFileError';
}

export function parseAcl(text: string, source = 'ACL file'): Acl {
  const acl: Acl = { anonymous: [], users: new Map(), patterns: [] };
  let current: AclRule[] = acl.anonymous;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [keyword, ...rest] = line.split(/\s+/);
    if (keyword === 'user') {
      const name = rest.join(' ');
      if (!name) throw new AclFileError(`${source}:${i + 1}: "user" needs a name`);
      current = acl.users.get(name) ?? [];
      acl.users.set(name, current);
      return;
    }
    if (keyword !== 'topic' && keyword !== 'pattern')
      throw new AclFileError(`${source}:${i + 1}: unknown keyword "${keyword}"`);
    let access: Access = 'readwrite';
    let filter = rest.join(' ');
    if (rest.length >= 2 && ['read', 'write', 'readwrite', 'deny'].includes(rest[0]!)) {
      access = rest[0] as Access;
      filter = rest.slice(1).join(' ');
    }
    if (!filter) throw new AclFileError(`${source}:${i + 1}: "${keyword}" needs a topic`);
    const rule = { access, filter, pattern: keyword === 'pattern' };
    if (rule.pattern) acl.patterns.push(rule);
    else current.push(rule);
  });
  return acl;
}

export type Operation = 'publish' | 'subscribe' | 'receive';

/**
 * Whether `username` (undefined: anonymous) with `clientId` may do `op` on `topic` (a topic name for
 * publish and receive, a filter for subscribe). Deny rules win; otherwise any matching grant allows.
 */
export function aclAllows(
  acl: Acl,
  username: string | undefined,
  clientId: string,
  op: Operation,
  topic: string,
): boolean {
  const rules: AclRule[] = [];
  if (username === undefined) rules.push(...acl.anonymous);
  else {
    rules.push(...(acl.users.get(username) ?? []));
    for (const p of acl.patterns) rules.push({ ...p, filter: substitute(p.filter, username, clientId) });
  }
  const want = op === 'publish' ? 'write' : 'read';
  // A subscription is granted when some rule could deliver on it; each message is then checked on
  // delivery ('receive'), which is how Mosquitto 2.0 behaves (a subscription wider than the ACL is
  // granted but delivers only what the ACL allows).
  const hits = (r: AclRule) =>
    op === 'subscribe' ? filtersIntersect(r.filter, topic) : topicMatches(r.filter, topic);
  if (op !== 'subscribe' && rules.some((r) => r.access === 'deny' && hits(r))) return false;
  return rules.some((r) => (r.access === want || r.access === 'readwrite') && hits(r));
}

function substitute(filter: string, username: string, clientId: string): string {
  // A username or client id with wildcards or separators must not widen a pattern.
  if (/[+#/]/.test(username) || /[+#/]/.test(clientId)) return '\u0000no-match';
  return filter.replaceAll('%u', username).replaceAll('%c', clientId);
}
