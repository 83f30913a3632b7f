// Secrets never reach a log line, an error message or the status file. `wg show IF dump` prints the
// interface's private key (and any preshared key); tool output that ends up in an error message is passed
// through redactKeys first, which blanks anything shaped like a WireGuard key, public keys included.

/** A WireGuard key: 32 bytes in base64 (43 characters, the last of a restricted set, then "="). */
const WG_KEY = /[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=/g;

export function redactKeys(text: string): string {
  return text.replace(WG_KEY, '(key redacted)');
}

/** The last lines of a tool's output, redacted and short enough for a log field. */
export function outputTail(text: string, lines = 3, maxChars = 400): string {
  const tail = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-lines)
    .join(' | ');
  const redacted = redactKeys(tail);
  return redacted.length > maxChars ? `…${redacted.slice(-maxChars)}` : redacted;
}
