// Talking to the gateway: JSON in and out, the session's CSRF token on every change, bounded waits (a
// weak link must fail visibly, not hang), and one retry of a command with the same id (the gateway
// answers a retry with its first answer, so nothing acts twice).

/** @typedef {import('./types.js').SessionInfo} SessionInfo */

const GET_TIMEOUT_MS = 20_000;
const POST_TIMEOUT_MS = 20_000;

let csrf = '';

/** @param {string} token */
export function setCsrf(token) {
  csrf = token;
}

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {unknown} [body]
   */
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/**
 * @param {string} path
 * @param {{method?: string, body?: unknown, timeoutMs?: number}} [options]
 * @returns {Promise<any>}
 */
export async function call(path, options = {}) {
  const method = options.method ?? 'GET';
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? (method === 'GET' ? GET_TIMEOUT_MS : POST_TIMEOUT_MS)),
    });
  } catch (err) {
    throw new ApiError(0, 'network', /** @type {Error} */ (err).message);
  }
  const text = await res.text();
  /** @type {any} */
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok && !(body && typeof body === 'object' && 'result' in body)) {
    throw new ApiError(res.status, body?.error ?? 'http', body?.message ?? `HTTP ${res.status}`, body);
  }
  return body;
}

/** @returns {Promise<SessionInfo>} */
export function session() {
  return call('/api/session');
}

/**
 * @param {string} user
 * @param {string} password
 * @returns {Promise<SessionInfo>}
 */
export function login(user, password) {
  return call('/api/login', { method: 'POST', body: { user, password } });
}

export function logout() {
  return call('/api/logout', { method: 'POST', body: {} });
}

/** An id unique enough for the gateway's replay check (crypto.randomUUID needs HTTPS). */
export function commandId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return 'web-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Sends a command; on a network failure tries once more with the same id.
 * @param {string} tank
 * @param {Record<string, unknown>} command
 * @returns {Promise<{status: number, result: import('./types.js').CommandResult}>}
 */
export async function sendCommand(tank, command) {
  const body = { id: commandId(), ...command };
  const path = `/api/tanks/${encodeURIComponent(tank)}/command`;
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
        credentials: 'same-origin',
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      });
      const result = await res.json().catch(() => ({ result: 'refused', reason: `HTTP ${res.status}` }));
      return { status: res.status, result };
    } catch (err) {
      if (attempt >= 1) throw new ApiError(0, 'network', /** @type {Error} */ (err).message);
    }
  }
}
