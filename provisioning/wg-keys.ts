// WireGuard keys made with Node's crypto, exactly as `wg genkey | wg pubkey` makes them: Curve25519
// (x25519) keys, base64 of the raw 32 bytes. The raw bytes are the tail of the DER encodings (PKCS#8 for
// the private key, SPKI for the public key). The tests check them with the real `wg pubkey`.

import { generateKeyPairSync } from 'node:crypto';

export interface WgKeyPair {
  privateKey: string;
  publicKey: string;
}

const RAW_KEY_BYTES = 32;

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
