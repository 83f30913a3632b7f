// Real WireGuard-shaped keys for tests (x25519, base64 of the 32 raw bytes, as `wg genkey` / `wg pubkey`
// print them), made fresh for each run so no key is ever committed.

import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';

export function wgKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  // pkcs8 DER of an x25519 key ends with the 32 raw private bytes; spki DER with the 32 public bytes.
  const priv = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { privateKey: priv.toString('base64'), publicKey: pub.toString('base64') };
}

const gateway = wgKeyPair();
export const KEYS = {
  gatewayPrivate: gateway.privateKey,
  gatewayPublic: gateway.publicKey,
  hubPublic: wgKeyPair().publicKey,
  phonePublic: wgKeyPair().publicKey,
  psk: randomBytes(32).toString('base64'),
};

/** `wg pubkey`: the public key of a base64 private key. */
export function publicKeyOf(privateKeyB64: string): string {
  const der = Buffer.concat([
    Buffer.from('302e020100300506032b656e04220420', 'hex'),
    Buffer.from(privateKeyB64, 'base64'),
  ]);
  const key = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  return key.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
}
