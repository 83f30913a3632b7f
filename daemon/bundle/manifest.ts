// The device bundle's two text files, FIRSTBOOT and MANIFEST (format 1, provisioning/BUNDLE.md), parsed
// and checked without touching the disk: every problem at once, each naming its line.

export const BUNDLE_FORMAT = '1';
export const MANIFEST_NAME = 'MANIFEST';
export const FIRSTBOOT_NAME = 'FIRSTBOOT';
/** Installed last, only after every other line succeeded: the "done" marker on the Pi. */
export const DONE_MARKER = '/var/lib/smart-tank/provisioning.json';
/** Where a bundle may write: a tampered card must not write anywhere else. */
export const ALLOWED_PREFIXES = [
  '/etc/smart-tank/',
  '/etc/nftables.d/',
  '/etc/mosquitto/conf.d/',
  '/var/lib/smart-tank/',
];

export interface FirstBoot {
  format: string;
  bundleId: string;
  site: string;
  device: string;
  created: string;
  vpn?: string;
}

export interface DirEntry {
  kind: 'dir';
  line: number;
  destination: string;
  owner: string;
  group: string;
  mode: number;
}

export interface FileEntry {
  kind: 'file';
  line: number;
  source: string;
  destination: string;
  owner: string;
  group: string;
  mode: number;
  sha256: string;
  secret: boolean;
}

export type ManifestEntry = DirEntry | FileEntry;

export class BundleError extends Error {
  override name = 'BundleError';
  constructor(
    /** The bundle folder. */
    readonly bundle: string,
    readonly problems: string[],
  ) {
    super(`${bundle}: bundle refused, nothing installed:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

type Parsed<T> = { value: T; problems: string[] };

export function parseFirstBoot(text: string): Parsed<FirstBoot> {
  const fields = new Map<string, string>();
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq <= 0) problems.push(`${FIRSTBOOT_NAME}:${i + 1}: expected key=value, got "${line}"`);
    else fields.set(line.slice(0, eq), line.slice(eq + 1));
  });
  const format = fields.get('format') ?? '';
  if (format !== BUNDLE_FORMAT)
    problems.push(
      `${FIRSTBOOT_NAME}: format "${format}" is not ${BUNDLE_FORMAT} (a newer smart-tank reads it)`,
    );
  const bundleId = fields.get('bundle_id') ?? '';
  if (!/^[0-9a-f]{32}$/.test(bundleId)) problems.push(`${FIRSTBOOT_NAME}: bundle_id must be 32 hex digits`);
  for (const key of ['site', 'device']) {
    if (!fields.get(key)) problems.push(`${FIRSTBOOT_NAME}: ${key} is missing`);
  }
  const vpn = fields.get('vpn');
  return {
    value: {
      format,
      bundleId,
      site: fields.get('site') ?? '',
      device: fields.get('device') ?? '',
      created: fields.get('created') ?? '',
      ...(vpn ? { vpn } : {}),
    },
    problems,
  };
}

/** A destination path a bundle may write, or why not. */
export function destinationProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return `destination "${path}" is not absolute`;
  if (path.split('/').some((part) => part === '..' || part === '.'))
    return `destination "${path}" contains "." or ".."`;
  if (/\/\/|\/$/.test(path) && path !== '/') return `destination "${path}" is not a clean path`;
  const inside = ALLOWED_PREFIXES.some((p) => path.startsWith(p) || path === p.slice(0, -1));
  if (!inside) return `destination "${path}" is outside ${ALLOWED_PREFIXES.join(', ')}`;
  return undefined;
}

/** A source inside the bundle folder: relative, below files/, no way out. */
function sourceProblem(path: string): string | undefined {
  if (path.startsWith('/') || path.split('/').some((p) => p === '..' || p === '.' || p === ''))
    return `source "${path}" must be a relative path inside the bundle`;
  return undefined;
}

const NAME = /^[a-z_][a-z0-9_-]*\$?$/;

export function parseManifest(text: string): Parsed<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const lineNo = i + 1;
    if (raw.trim() === '' || raw.startsWith('#')) return;
    const at = `${MANIFEST_NAME}:${lineNo}`;
    const fields = raw.split('\t');
    if (fields.length !== 8 || fields.some((f) => f === '' || /\s/.test(f))) {
      problems.push(`${at}: expected 8 TAB-separated fields without spaces, got ${fields.length}`);
      return;
    }
    const [kind, source, destination, owner, group, modeText, sha256, cls] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const lineProblems: string[] = [];
    const dest = destinationProblem(destination);
    if (dest) lineProblems.push(dest);
    if (seen.has(destination)) lineProblems.push(`destination "${destination}" is listed twice`);
    seen.add(destination);
    if (!NAME.test(owner)) lineProblems.push(`owner "${owner}" is not a user name`);
    if (!NAME.test(group)) lineProblems.push(`group "${group}" is not a group name`);
    if (!/^[0-7]{4}$/.test(modeText)) lineProblems.push(`mode "${modeText}" is not 4 octal digits`);
    const mode = parseInt(modeText, 8);
    // Set-id bits have no business in a bundle; world-writable neither.
    if (/^[0-7]{4}$/.test(modeText) && (mode & 0o7002) !== 0)
      lineProblems.push(`mode ${modeText} has set-id, sticky or world-write bits`);
    if (kind === 'dir') {
      if (source !== '-' || sha256 !== '-' || cls !== '-')
        lineProblems.push('a dir line has "-" as source, sha256 and class');
      if (lineProblems.length === 0) entries.push({ kind, line: lineNo, destination, owner, group, mode });
    } else if (kind === 'file') {
      const src = sourceProblem(source);
      if (src) lineProblems.push(src);
      if (!/^[0-9a-f]{64}$/.test(sha256))
        lineProblems.push(`sha256 "${sha256}" is not 64 lower-case hex digits`);
      if (cls !== 'secret' && cls !== 'public') lineProblems.push(`class "${cls}" is not secret or public`);
      if (lineProblems.length === 0)
        entries.push({
          kind,
          line: lineNo,
          source,
          destination,
          owner,
          group,
          mode,
          sha256,
          secret: cls === 'secret',
        });
    } else {
      lineProblems.push(`kind "${kind}" is not dir or file`);
    }
    for (const p of lineProblems) problems.push(`${at}: ${p}`);
  });
  problems.push(...orderProblems(entries));
  return { value: entries, problems };
}

/** Directories before files, a directory before anything inside it, the done marker last. */
function orderProblems(entries: ManifestEntry[]): string[] {
  const problems: string[] = [];
  const last = entries[entries.length - 1];
  if (!last || last.kind !== 'file' || last.destination !== DONE_MARKER)
    problems.push(`${MANIFEST_NAME}: the last line must install ${DONE_MARKER}`);
  const dirLine = new Map(entries.filter((e) => e.kind === 'dir').map((e) => [e.destination, e.line]));
  let fileSeen = false;
  for (const e of entries) {
    if (e.kind === 'file') fileSeen = true;
    else if (fileSeen) problems.push(`${MANIFEST_NAME}:${e.line}: dir after a file (directories come first)`);
    const parent = e.destination.slice(0, e.destination.lastIndexOf('/'));
    const parentLine = dirLine.get(parent);
    if (parentLine !== undefined && parentLine > e.line)
      problems.push(`${MANIFEST_NAME}:${e.line}: ${e.destination} comes before the dir line of ${parent}`);
  }
  return problems;
}
