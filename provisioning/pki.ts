// The site's certificate authority, through the `openssl` command line (Node's crypto makes keys but not
// certificates): a per-site CA (EC P-256, 10 years), device certificates for TLS on MQTT (8883) and the
// dashboard's HTTPS (EC P-256, 825 days: the longest iOS accepts for a TLS server certificate, whoever
// issued it), and a revocation list. OpenSSL's own `ca` database (pki/index.txt) keeps the books, so any
// `openssl ca` command works on the same directory. Keys are made by Node and written 0600; every openssl
// call is an argument array with a timeout.

import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SiteLayout } from './site.js';
import { ensurePrivateDir, ensurePublicDir, writePublicFile, writeSecretFile } from './secret-files.js';

/** openssl answers in milliseconds; a loaded CI machine, much later. */
export const OPENSSL_TIMEOUT_MS = 20_000;
export const CA_DAYS = 3650;
export const DEVICE_CERT_DAYS = 825;
/** Verifiers that check revocation refuse a CRL past its next update: regenerate well before (any command that revokes does). */
export const CRL_DAYS = 365;

export const CRL_REASONS = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
] as const;
export type CrlReason = (typeof CRL_REASONS)[number];

export class PkiError extends Error {
  override name = 'PkiError';
}

export function openssl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'openssl',
      args,
      { signal: AbortSignal.timeout(OPENSSL_TIMEOUT_MS), killSignal: 'SIGKILL', encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT')
          return reject(new PkiError('openssl is not installed (Debian/Ubuntu: apt install openssl)'));
        reject(
          new PkiError(
            `openssl ${args[0]} failed: ${stderr.trim().split('\n').slice(-3).join(' / ') || err.message}`,
          ),
        );
      },
    );
  });
}

/** A new EC P-256 private key, PEM (PKCS#8). */
export function newEcKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export interface DeviceIdentity {
  /** Subject CN and first DNS SAN: <device>.<domain>. */
  dnsName: string;
  ips: string[];
  organization: string;
}

/** The `openssl ca` configuration for this site (written to a private temp dir for each call). */
function caConfig(layout: SiteLayout, subject: { cn: string; o: string }, device?: DeviceIdentity): string {
  const san = device
    ? [
        '[ device_san ]',
        `DNS.1 = ${device.dnsName}`,
        ...device.ips.map((ip, i) => `IP.${i + 1} = ${ip}`),
      ].join('\n')
    : '';
  return `[ ca ]
default_ca = site_ca

[ site_ca ]
dir = ${layout.pki}
database = ${layout.caIndex}
new_certs_dir = ${layout.issuedDir}
certificate = ${layout.caCert}
private_key = ${layout.caKey}
crlnumber = ${join(layout.pki, 'crlnumber')}
rand_serial = yes
default_md = sha256
default_days = ${DEVICE_CERT_DAYS}
default_crl_days = ${CRL_DAYS}
policy = policy_site
unique_subject = no
copy_extensions = none
email_in_dn = no
crl_extensions = crl_ext

[ policy_site ]
organizationName = optional
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt = no
utf8 = yes

[ req_dn ]
O = ${subject.o}
CN = ${subject.cn}

[ v3_ca ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ device_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = @device_san

[ crl_ext ]
authorityKeyIdentifier = keyid:always

${san}
`;
}

async function withConfig<T>(text: string, work: (cnf: string, tmp: string) => Promise<T>): Promise<T> {
  const tmp = await mkdtemp(join(tmpdir(), 'smart-tank-pki-'));
  try {
    const cnf = join(tmp, 'openssl.cnf');
    await writeFile(cnf, text, { mode: 0o600 });
    return await work(cnf, tmp);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Sanitises a value for an openssl config line (no newlines or section syntax). */
function configValue(v: string): string {
  return v.replace(/[\r\n[\]=\\]/g, ' ').trim();
}

export async function createCa(layout: SiteLayout, site: { id: string; name?: string }): Promise<void> {
  await ensurePrivateDir(layout.secrets);
  await writeSecretFile(layout.caKey, newEcKeyPem());
  await writePublicFile(layout.caIndex, '');
  await writePublicFile(join(layout.pki, 'crlnumber'), '1000\n');
  await ensurePublicDir(layout.issuedDir);
  const subject = { cn: configValue(`smart-tank ${site.name ?? site.id} CA`), o: configValue(site.id) };
  await withConfig(caConfig(layout, subject), (cnf) =>
    openssl([
      'req',
      '-x509',
      '-new',
      '-config',
      cnf,
      '-extensions',
      'v3_ca',
      '-key',
      layout.caKey,
      '-days',
      String(CA_DAYS),
      '-out',
      layout.caCert,
    ]),
  );
  await generateCrl(layout);
}

export interface IssuedCert {
  keyPem: string;
  certPem: string;
  /** Upper-case hex, as openssl prints it. */
  serial: string;
}

/** A device certificate signed by the site CA, with a new key. */
export async function issueDeviceCert(layout: SiteLayout, id: DeviceIdentity): Promise<IssuedCert> {
  const keyPem = newEcKeyPem();
  const subject = { cn: configValue(id.dnsName), o: configValue(id.organization) };
  return withConfig(caConfig(layout, subject, id), async (cnf, tmp) => {
    const key = join(tmp, 'device.key');
    const csr = join(tmp, 'device.csr');
    const crt = join(tmp, 'device.crt');
    await writeFile(key, keyPem, { mode: 0o600 });
    await openssl(['req', '-new', '-config', cnf, '-key', key, '-out', csr]);
    await openssl([
      'ca',
      '-batch',
      '-notext',
      '-config',
      cnf,
      '-extensions',
      'device_ext',
      '-in',
      csr,
      '-out',
      crt,
    ]);
    const certPem = await readFile(crt, 'utf8');
    const serial = /serial=([0-9A-F]+)/.exec(await openssl(['x509', '-in', crt, '-noout', '-serial']))?.[1];
    if (!serial) throw new PkiError(`openssl did not report the serial of ${id.dnsName}'s certificate`);
    return { keyPem, certPem, serial };
  });
}

/** Marks a certificate revoked in the CA database and regenerates the CRL. */
export async function revokeCert(layout: SiteLayout, serial: string, reason: CrlReason): Promise<void> {
  const cert = join(layout.issuedDir, `${serial}.pem`);
  await withConfig(caConfig(layout, { cn: 'x', o: 'x' }), async (cnf) => {
    try {
      await openssl(['ca', '-config', cnf, '-revoke', cert, '-crl_reason', reason]);
    } catch (err) {
      // Revoking twice is not an error for us: the certificate is revoked either way.
      if (!/already revoked/i.test((err as Error).message)) throw err;
    }
  });
  await generateCrl(layout);
}

export async function generateCrl(layout: SiteLayout): Promise<void> {
  await withConfig(caConfig(layout, { cn: 'x', o: 'x' }), (cnf) =>
    openssl(['ca', '-config', cnf, '-gencrl', '-out', layout.crl]),
  );
}

/** Serials listed in the site's CRL (upper-case hex). */
export async function revokedSerials(layout: SiteLayout): Promise<string[]> {
  const text = await openssl(['crl', '-in', layout.crl, '-noout', '-text']);
  return [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]!);
}

/** SHA-256 fingerprint of a PEM certificate, as openssl prints it (AA:BB:...). */
export async function certFingerprint(certFile: string): Promise<string> {
  const out = await openssl(['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256']);
  return out.split('=')[1]?.trim() ?? '';
}
