// Who may hold a broker session, decided once a client has logged in: a client id that belongs to
// another user's live session is not taken over (the daemon's own among them), and connection slots are
// shared out so that no one user or address can hold them all, with some kept for admins. Pure.

import type { Role } from '../security/roles.js';

export interface SessionLimits {
  maxConnections: number;
  maxConnectionsPerUser: number;
  maxConnectionsPerAddress: number;
  /** Of maxConnections, this many only admins (and the gateway) may take. */
  reservedForAdmins: number;
}

export interface LiveSession {
  clientId: string;
  user: string | undefined;
  address: string;
  role: Role | undefined;
}

/** Client ids starting with this belong to the gateway's own user (the daemon's session is `smart-tank-<id>`). */
export const GATEWAY_CLIENT_ID_PREFIX = 'smart-tank-';
/** Longer client ids are refused (they end up in logs and the audit file). */
export const MAX_CLIENT_ID_CHARS = 64;

/** Why the candidate may not have a session now, or undefined when it may. */
export function admissionRefusal(
  live: readonly LiveSession[],
  candidate: LiveSession,
  limits: SessionLimits,
  gatewayUser: string,
): string | undefined {
  if (candidate.clientId.length > MAX_CLIENT_ID_CHARS)
    return `client id longer than ${MAX_CLIENT_ID_CHARS} characters`;
  if (candidate.clientId.startsWith(GATEWAY_CLIENT_ID_PREFIX) && candidate.user !== gatewayUser)
    return `client id "${candidate.clientId.slice(0, MAX_CLIENT_ID_CHARS)}" is reserved for the gateway`;
  const holder = live.find((s) => s.clientId === candidate.clientId);
  if (holder && holder.user !== candidate.user) return 'client id in use by another user';
  // A takeover by the same user (a reconnect) frees its old slot.
  const others = holder ? live.filter((s) => s !== holder) : live;
  const privileged = candidate.role === 'admin' || candidate.role === 'gateway';
  const limit = privileged ? limits.maxConnections : limits.maxConnections - limits.reservedForAdmins;
  if (others.length >= limit)
    return privileged ? 'no connection slot free' : 'no connection slot free (the rest are kept for admins)';
  if (!privileged && others.filter((s) => s.user === candidate.user).length >= limits.maxConnectionsPerUser)
    return `user already holds ${limits.maxConnectionsPerUser} connections`;
  if (
    !privileged &&
    others.filter((s) => s.address === candidate.address).length >= limits.maxConnectionsPerAddress
  )
    return `address already holds ${limits.maxConnectionsPerAddress} connections`;
  return undefined;
}
