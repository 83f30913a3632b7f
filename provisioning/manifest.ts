// The bundle's MANIFEST (format 1, provisioning/BUNDLE.md): one TAB-separated line per directory and
// file to install, with destination, owner, group, mode, sha256 and class. Formatting and a strict
// parser that checks what first boot must check (absolute destinations inside the allowed prefixes, no
// `..`, known kinds and modes), so both sides of the contract run the same rules.

import { createHash } from 'node:crypto';
import { isAbsolute, normalize } from 'node:path';
import { ALLOWED_DESTINATION_PREFIXES } from './device-paths.js';

export type FileClass = 'secret' | 'public';

export interface ManifestDir {
  kind: 'dir';
  destination: string;
  owner: string;
  group: string;
  mode: number;
}

export interface ManifestFile {
  kind: 'file';
  /** Path inside the bundle folder: files/<destination without the leading slash>. */
  source: string;
  destination: string;
  owner: string;
  group: string;
  mode: number;
  sha256: string;
  class: FileClass;
}

export type ManifestEntry = ManifestDir | ManifestFile;

export class ManifestError extends Error {
  override name = 'ManifestError';
}

export const MANIFEST_HEADER = [
  '# smart-tank device bundle manifest, format 1 (provisioning/BUNDLE.md). TAB-separated fields:',
  '# kind\tsource\tdestination\towner\tgroup\tmode\tsha256\tclass',
];

export function sha256Hex(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

export function sourceFor(destination: string): string {
  return `files${destination}`;
}

function modeText(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

export function formatManifest(entries: readonly ManifestEntry[]): string {
  const lines = entries.map((e) =>
    e.kind === 'dir'
      ? ['dir', '-', e.destination, e.owner, e.group, modeText(e.mode), '-', '-'].join('\t')
      : ['file', e.source, e.destination, e.owner, e.group, modeText(e.mode), e.sha256, e.class].join('\t'),
  );
  return [...MANIFEST_HEADER, ...lines].join('\n') + '\n';
}

const NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const MODE = /^0[0-7]{3}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** Checks a destination as first boot must: absolute, normalised, inside an allowed prefix. */
export function checkDestination(destination: string, at: string): void {
  if (!isAbsolute(destination) || normalize(destination) !== destination || destination.includes('..'))
    throw new ManifestError(`${at}: destination "${destination}" must be an absolute, normalised path`);
  const allowed = ALLOWED_DESTINATION_PREFIXES.some(
    (p) => destination.startsWith(p) || destination === p.slice(0, -1),
  );
  if (!allowed)
    throw new ManifestError(
      `${at}: destination "${destination}" is outside ${ALLOWED_DESTINATION_PREFIXES.join(', ')}`,
    );
}

export function parseManifest(text: string, source = 'MANIFEST'): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  text.split('\n').forEach((line, i) => {
    const at = `${source}:${i + 1}`;
    if (line === '' || line.startsWith('#')) return;
    const f = line.split('\t');
    if (f.length !== 8) throw new ManifestError(`${at}: expected 8 TAB-separated fields, found ${f.length}`);
    const [kind, src, destination, owner, group, mode, sha256, cls] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    checkDestination(destination, at);
    if (!NAME.test(owner) || !NAME.test(group)) throw new ManifestError(`${at}: bad owner or group`);
    if (!MODE.test(mode)) throw new ManifestError(`${at}: mode "${mode}" must be 4 octal digits`);
    if (kind === 'dir') {
      if (src !== '-' || sha256 !== '-' || cls !== '-') throw new ManifestError(`${at}: a dir has no source`);
      entries.push({ kind, destination, owner, group, mode: parseInt(mode, 8) });
      return;
    }
    if (kind !== 'file') throw new ManifestError(`${at}: kind "${kind}" must be dir or file`);
    if (src !== sourceFor(destination))
      throw new ManifestError(`${at}: source must be ${sourceFor(destination)}`);
    if (!SHA256.test(sha256)) throw new ManifestError(`${at}: sha256 must be 64 lower-case hex digits`);
    if (cls !== 'secret' && cls !== 'public')
      throw new ManifestError(`${at}: class must be secret or public`);
    entries.push({
      kind,
      source: src,
      destination,
      owner,
      group,
      mode: parseInt(mode, 8),
      sha256,
      class: cls,
    });
  });
  return entries;
}
