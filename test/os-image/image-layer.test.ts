// The OS image's rpi-image-gen files (os-image/rpi-image-gen/), checked where the image cannot be built
// (rpi-image-gen needs Raspberry Pi's own package archive, which this machine cannot reach): the YAML
// parses, the layer's X-Env metadata is complete, every hook is valid shell, every file they name is in
// the repository or documented as the installer's to supply, every Debian package named (by the layer
// and by the .deb's Depends/Recommends) is a real Debian package, and the .deb name the layer looks for
// is the one build-deb writes. What the image would run is tested through the .deb and install.sh.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { tempDir } from '../helpers/daemon.js';

const DIR = new URL('../../os-image/rpi-image-gen/', import.meta.url).pathname;
const ROOT = new URL('../..', import.meta.url).pathname;
const LAYER = join(DIR, 'layer/smart-tank.yaml');
const CONFIG = join(DIR, 'config/smart-tank.yaml');
/** Layers and configs of rpi-image-gen itself that ours build on (checked against its tree by hand). */
const UPSTREAM = ['bookworm-minbase.yaml', 'device/zero2w.yaml', 'systemd-timesyncd', 'openssh-server'];

/** X-Env metadata between METABEGIN and METAEND: "# Key: value", continued by "#  more". */
function metadata(text: string): Map<string, string> {
  const block = /# METABEGIN\n([\s\S]*?)# METAEND/.exec(text)?.[1];
  if (!block) throw new Error('no METABEGIN ... METAEND block');
  const fields = new Map<string, string>();
  let last = '';
  for (const line of block.split('\n')) {
    const field = /^# (X-Env-[A-Za-z0-9_-]+):\s?(.*)$/.exec(line);
    if (field) fields.set((last = field[1]!), field[2]!);
    else if (/^#  \S/.test(line) && last) fields.set(last, `${fields.get(last)} ${line.slice(3)}`);
    else if (line !== '#' && line !== '') throw new Error(`metadata line not understood: "${line}"`);
  }
  return fields;
}

function yamlOf(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const d of docs)
    expect(
      d.errors.map((e) => e.message),
      file,
    ).toEqual([]);
  return docs.map((d) => d.toJS() as unknown);
}

/** Debian packages apt knows (its lists need `apt-get update` once: the tests' setup does it). */
function unknownPackages(names: string[]): string[] {
  const r = spawnSync('apt-cache', ['show', '--no-all-versions', ...names], { encoding: 'utf8' });
  const known = new Set([...r.stdout.matchAll(/^Package: (\S+)$/gm)].map((m) => m[1]!));
  return names.filter((n) => !known.has(n));
}

function debFields(): { depends: string[]; recommends: string[] } {
  const script = `import(${JSON.stringify(join(ROOT, 'os-image/deb/layout.mjs'))}).then((m) => console.log(JSON.stringify({
    depends: [...m.DEPENDS, ...m.SHLIBS_DEPENDS_BOOKWORM.arm64.split(',')], recommends: m.RECOMMENDS })))`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  const names = (list: string[]) => list.map((d) => d.trim().split(/[\s(]/)[0]!);
  const parsed = JSON.parse(r.stdout) as { depends: string[]; recommends: string[] };
  return { depends: names(parsed.depends), recommends: names(parsed.recommends) };
}

describe('the rpi-image-gen layer and config', () => {
  const layerText = readFileSync(LAYER, 'utf8');
  const [layer] = yamlOf(LAYER).filter(Boolean) as [
    { mmdebstrap: { packages: string[]; 'customize-hooks': string[] } },
  ];

  it('has complete X-Env metadata, every variable declared with its description, rule and policy', () => {
    const meta = metadata(layerText);
    for (const key of ['Name', 'Category', 'Desc', 'Version', 'Requires'])
      expect(meta.get(`X-Env-Layer-${key}`), key).toBeTruthy();
    expect(meta.get('X-Env-Layer-Name')).toBe('smart-tank');
    const prefix = meta.get('X-Env-VarPrefix');
    expect(prefix).toMatch(/^[a-z][a-z0-9]*$/);
    const vars = [...meta.keys()].filter((k) => /^X-Env-Var-[a-z0-9_]+$/.test(k)).map((k) => k.slice(10));
    expect(vars.length).toBeGreaterThan(0);
    for (const v of vars)
      for (const attr of ['Desc', 'Required', 'Valid', 'Set'])
        expect(meta.has(`X-Env-Var-${v}-${attr}`), `${v}-${attr}`).toBe(true);
    // Every IGconf_ variable a hook reads is one this layer (or rpi-image-gen's own base) declares.
    for (const used of layerText.matchAll(/IGconf_([a-z0-9]+)_([a-z0-9_]+)/g))
      expect(used[1] === prefix && vars.includes(used[2]!), used[0]).toBe(true);
    // The layers it requires are rpi-image-gen's own.
    for (const req of meta.get('X-Env-Layer-Requires')!.split(',')) expect(UPSTREAM).toContain(req.trim());
  });

  it('has hooks that are valid shell and install the package build-deb writes', () => {
    const hooks = layer.mmdebstrap['customize-hooks'];
    expect(hooks.length).toBeGreaterThan(0);
    const dir = tempDir('hooks-');
    hooks.forEach((hook, i) => {
      const file = join(dir, `hook-${i}.sh`);
      writeFileSync(file, hook);
      const r = spawnSync('sh', ['-n', file], { encoding: 'utf8' });
      expect(r.stderr, `hook ${i}`).toBe('');
      expect(r.status).toBe(0);
    });
    // The glob it installs from matches what build-deb names the arm64 package.
    const glob = /ls "\$IGconf_smarttank_debdir"\/(\S+) /.exec(hooks[0]!)?.[1];
    expect(glob).toBe('smart-tank_*_arm64.deb');
    const builder = readFileSync(join(ROOT, 'os-image/deb/build-deb.mjs'), 'utf8');
    expect(builder).toContain('`smart-tank_${o.version}_${o.arch}.deb`');
    // The units it checks are the ones the package ships and its postinst enables.
    const postinst = readFileSync(join(ROOT, 'os-image/deb/maintainer/postinst'), 'utf8');
    for (const unit of hooks[1]!.matchAll(/smart-tank[a-z-]*\.(service|path)/g)) {
      expect(existsSync(join(ROOT, 'os-image/systemd', unit[0])), unit[0]).toBe(true);
      expect(postinst).toContain(unit[0]);
    }
  });

  it('names only files that exist, or that the README tells the installer to supply', () => {
    const [config] = yamlOf(CONFIG) as [Record<string, Record<string, unknown> | string[]>];
    expect(config.layer).toEqual({ app: 'smart-tank' });
    for (const inc of config.include as string[]) expect(UPSTREAM).toContain(inc);
    const readme = readFileSync(join(ROOT, 'os-image/README.md'), 'utf8');
    const gitignore = readFileSync(join(ROOT, '.gitignore'), 'utf8');
    // The installer's own inputs: their SSH public key and the arm64 package.
    const pub = String((config.ssh as Record<string, unknown>).pubkey_user1);
    expect(pub).toBe('${@SRCROOT}/installer.pub');
    expect(readme).toContain('os-image/rpi-image-gen/installer.pub');
    expect(gitignore).toContain('/os-image/rpi-image-gen/installer.pub');
    const debdir = metadata(layerText).get('X-Env-Var-debdir')!;
    expect(debdir).toBe('${DIRECTORY}/../debs');
    expect(existsSync(join(DIR, 'debs/README.md'))).toBe(true);
    expect(readme).toContain('os-image/rpi-image-gen/debs/');
  });

  it('names real Debian packages, as does the .deb it installs', () => {
    const lists = spawnSync('apt-cache', ['stats'], { encoding: 'utf8' });
    expect(lists.stdout, 'apt has package lists (apt-get update)').toMatch(/Total package names: [1-9]/);
    const { depends, recommends } = debFields();
    const names = [...new Set([...layer.mmdebstrap.packages, ...depends, ...recommends])];
    expect(unknownPackages(names)).toEqual([]);
    // Everything the package depends on or recommends is installed by the layer first (or is part of
    // every Debian system: the C and C++ runtime libraries).
    const base = new Set(['libc6', 'libgcc-s1', 'libstdc++6']);
    for (const d of [...depends, ...recommends])
      if (!base.has(d)) expect(layer.mmdebstrap.packages).toContain(d);
  });
});
