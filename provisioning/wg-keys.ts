// WireGuard keys made with Node's crypto, exactly as `wg genkey | wg pubkey` makes them: Curve25519
// (x25519) keys, base64 of the raw 32 bytes. The raw bytes are the tail of the DER encodings (PKCS#8 for
// the private key, SPKI for the public key), and a raw private key is imported by putting the fixed
// PKCS#8 prefix in front of it.

import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';

export interface WgKeyPair {
  privateKey: string;
  publicKey: string;
}

const RAW_KEY_BYTES = 32;
/** PKCS#8 DER header of an X25519 private key, followed by the 32 raw bytes. */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export function generateWgKeyPair(): WgKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return {
    privateKey: privateKey
      .export({ format: 'der', type: 'pkcs8' })
      .subarray(-RAW_KEY_BYTES)
      .toString('base64'),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(-RAW_KEY_BYTES).toString('base64'),
  };
}

/** The public key of a base64 WireGuard private key (what `wg pubkey` prints). */
export function wgPublicKey(privateKeyBase64: string): string {
  const raw = Buffer.from(privateKeyBase64.trim(), 'base64');
  if (raw.length !== RAW_KEY_BYTES) throw new Error('not a WireGuard private key (32 bytes, base64)');
  const key = createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, raw]),
    format: 'der',
    type: 'pkcs8',
  });
  return createPublicKey(key)
    .export({ format: 'der', type: 'spki' })
    .subarray(-RAW_KEY_BYTES)
    .toString('base64');
}
