import { describe, expect, it } from 'vitest';
import { canonicalJson, newHmacKey, signCommand, signatureValid } from '../../../daemon/security/hmac.js';

describe('signed commands', () => {
  it('canonical JSON sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('a signature covers every field but itself; any change breaks it', () => {
    const key = newHmacKey();
    const cmd: Record<string, unknown> = {
      id: 'abc12345',
      ts: 1_800_000_000_000,
      tank: 'house',
      action: 'valve',
      open: true,
    };
    cmd.sig = signCommand(cmd, key);
    expect(signatureValid(cmd, key)).toBe(true);
    expect(signatureValid({ ...cmd, open: false }, key)).toBe(false);
    expect(signatureValid({ ...cmd, ts: 1_800_000_000_001 }, key)).toBe(false);
    expect(signatureValid(cmd, newHmacKey())).toBe(false);
    expect(signatureValid({ ...cmd, sig: undefined }, key)).toBe(false);
    // Key order does not matter to the signer.
    expect(
      signatureValid(
        { open: true, action: 'valve', tank: 'house', ts: 1_800_000_000_000, id: 'abc12345', sig: cmd.sig },
        key,
      ),
    ).toBe(true);
  });
});
