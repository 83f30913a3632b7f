// Device bundles (provisioning/BUNDLE.md, format 1): the manifest is checked before anything is written,
// a refused bundle installs nothing, an accepted one lands with the manifest's owners and modes, and
// first boot installs once, removes the bundle (every file overwritten) and never applies one again.
// Installed into a scratch root with its own /etc/passwd and /etc/group (the tests run as root).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { readAccounts } from '../../../daemon/bundle/accounts.js';
import { firstBoot, shredFile } from '../../../daemon/bundle/first-boot.js';
import { BUNDLE_FILES_LIST, installBundle, loadBundle } from '../../../daemon/bundle/install.js';
import { BundleError, parseManifest } from '../../../daemon/bundle/manifest.js';
import { silentLogger } from '../../../daemon/log.js';
import { tempDir } from '../../helpers/daemon.js';
import { writeDeviceBundle, type DeviceBundle } from '../../helpers/device-bundle.js';

const UIDS = { root: 0, 'smart-tank': 991, mosquitto: 992 };

function scratchRoot(): string {
  const root = tempDir('bundle-root-');
  mkdirSync(join(root, 'etc'), { recursive: true });
  const lines = (kind: 'passwd' | 'group') =>
    Object.entries(UIDS)
      .map(([name, id]) => (kind === 'passwd' ? `${name}:x:${id}:${id}::/:/bin/false` : `${name}:x:${id}:`))
      .join('\n') + '\n';
  writeFileSync(join(root, 'etc/passwd'), lines('passwd'));
  writeFileSync(join(root, 'etc/group'), lines('group'));
  return root;
}

/** Every path under dir (relative), for "nothing was written" checks. */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

function manifestLines(bundle: DeviceBundle): string[] {
  return readFileSync(join(bundle.dir, 'MANIFEST'), 'utf8').split('\n');
}

async function refusal(bundle: DeviceBundle, root: string): Promise<string[]> {
  try {
    await loadBundle(bundle.dir, await readAccounts(root));
  } catch (err) {
    if (err instanceof BundleError) return err.problems;
    throw err;
  }
  throw new Error('the bundle was accepted');
}

describe('device bundle manifest', () => {
  let root: string;
  let bundle: DeviceBundle;
  beforeEach(async () => {
    root = scratchRoot();
    bundle = await writeDeviceBundle(tempDir('boot-'));
  });

  it('accepts a well-formed bundle: directories first, the done marker last', async () => {
    const loaded = await loadBundle(bundle.dir, await readAccounts(root));
    expect(loaded.firstBoot.bundleId).toBe(bundle.bundleId);
    expect(loaded.entries.filter((e) => e.kind === 'file').map((e) => e.destination)).toEqual(
      bundle.files.map((f) => f.destination),
    );
    expect(loaded.entries.at(-1)?.destination).toBe('/var/lib/smart-tank/provisioning.json');
  });

  it('refuses a tampered or damaged bundle naming each problem, and writes nothing', async () => {
    const lines = manifestLines(bundle);
    const at = (dest: string) => lines.findIndex((l) => l.split('\t')[2] === dest);
    const edit = (dest: string, field: number, value: string) => {
      const i = at(dest);
      const fields = lines[i]!.split('\t');
      fields[field] = value;
      lines[i] = fields.join('\t');
    };
    edit('/etc/smart-tank/hmac.keys', 2, '/etc/shadow'); // outside the allowed directories
    edit('/etc/smart-tank/mqtt.acl', 2, '/etc/smart-tank/../sudoers.d/x'); // a way out
    edit('/etc/smart-tank/tls/ca.crt', 5, '4755'); // set-uid
    edit('/etc/smart-tank/tls/device.crt', 3, 'nobody-here'); // unknown user
    lines.splice(1, 0, 'file\tfiles/x\t/etc/smart-tank/x\troot\troot\t0644'); // too few fields
    writeFileSync(join(bundle.dir, 'MANIFEST'), lines.join('\n'));
    // A half-copied card: one file's bytes differ from its sha256, one is missing.
    writeFileSync(join(bundle.dir, 'files/etc/smart-tank/config.yaml'), 'gateway: {}\n');
    const wg = join(bundle.dir, 'files/etc/smart-tank/vpn/wg0.conf');
    writeFileSync(wg, ''); // emptied
    const before = tree(root);
    const problems = await refusal(bundle, root);
    const text = problems.join('\n');
    expect(text).toMatch(/MANIFEST:2: expected 8 TAB-separated fields/);
    expect(text).toMatch(/"\/etc\/shadow" is outside \/etc\/smart-tank\//);
    expect(text).toMatch(/contains "\." or "\.\."/);
    expect(text).toMatch(/mode 4755 has set-id/);
    expect(text).toMatch(/no user "nobody-here" on this system/);
    expect(text).toMatch(/files\/etc\/smart-tank\/config\.yaml: sha256 [0-9a-f]{64} differs/);
    expect(text).toMatch(/wg0\.conf: sha256 [0-9a-f]{64} differs/);
    expect(tree(root)).toEqual(before);
  });

  it('refuses another format, a missing file and a manifest without the done marker last', async () => {
    writeFileSync(join(bundle.dir, 'FIRSTBOOT'), 'format=2\nbundle_id=abc\n');
    const lines = manifestLines(bundle).filter((l) => !l.includes('provisioning.json'));
    writeFileSync(join(bundle.dir, 'MANIFEST'), lines.join('\n'));
    const { rmSync } = await import('node:fs');
    rmSync(join(bundle.dir, 'files/etc/smart-tank/mqtt.acl'));
    const text = (await refusal(bundle, root)).join('\n');
    expect(text).toMatch(/FIRSTBOOT: format "2" is not 1/);
    expect(text).toMatch(/FIRSTBOOT: bundle_id must be 32 hex digits/);
    expect(text).toMatch(/files\/etc\/smart-tank\/mqtt\.acl: missing from the bundle/);
    expect(text).toMatch(/the last line must install \/var\/lib\/smart-tank\/provisioning\.json/);
  });

  it('refuses a config the daemon would refuse (it would never start)', async () => {
    const config = join(bundle.dir, 'files/etc/smart-tank/config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('lowPct: 15', 'lowPct: 95'));
    const lines = manifestLines(bundle).map((l) =>
      l.split('\t')[2] === '/etc/smart-tank/config.yaml'
        ? l.replace(
            /\t[0-9a-f]{64}\t/,
            `\t${createHash('sha256').update(readFileSync(config)).digest('hex')}\t`,
          )
        : l,
    );
    writeFileSync(join(bundle.dir, 'MANIFEST'), lines.join('\n'));
    const text = (await refusal(bundle, root)).join('\n');
    expect(text).toMatch(/\/etc\/smart-tank\/config\.yaml: tanks\[0\]\.(control\.)?lowPct/);
  });

  it('parses the documented example line by line', () => {
    const example = [
      'dir\t-\t/etc/smart-tank\troot\troot\t0755\t-\t-',
      `file\tfiles/var/lib/smart-tank/provisioning.json\t/var/lib/smart-tank/provisioning.json\tsmart-tank\tsmart-tank\t0644\t${'a'.repeat(64)}\tpublic`,
    ].join('\n');
    const { value, problems } = parseManifest(example);
    // /var/lib/smart-tank has no dir line: allowed, it may exist already (the package makes it).
    expect(problems).toEqual([]);
    expect(value[1]).toMatchObject({ kind: 'file', owner: 'smart-tank', mode: 0o644, secret: false });
  });
});

describe('installing a bundle', () => {
  it('writes every file with its owner, group, mode and bytes, the done marker last', async () => {
    const root = scratchRoot();
    const bundle = await writeDeviceBundle(tempDir('boot-'));
    const accounts = await readAccounts(root);
    const result = await installBundle(await loadBundle(bundle.dir, accounts), root, accounts);
    expect(result.written.at(-1)).toBe('/var/lib/smart-tank/provisioning.json');
    for (const file of bundle.files) {
      const path = join(root, file.destination);
      const st = statSync(path);
      expect({ file: file.destination, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 }).toEqual({
        file: file.destination,
        uid: UIDS[file.owner as keyof typeof UIDS],
        gid: UIDS[file.group as keyof typeof UIDS],
        mode: file.mode,
      });
      expect(readFileSync(path).equals(file.content)).toBe(true);
    }
    expect(statSync(join(root, 'etc/smart-tank/vpn')).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, 'var/lib/smart-tank')).uid).toBe(UIDS['smart-tank']);
    // No temporary file left behind; the files outside the purged directories are listed for postrm.
    expect(tree(join(root, 'etc')).filter((p) => p.includes('.tmp'))).toEqual([]);
    expect(readFileSync(join(root, BUNDLE_FILES_LIST), 'utf8').split('\n').filter(Boolean)).toEqual([
      '/etc/mosquitto/conf.d/smart-tank-listeners.conf',
      '/etc/nftables.d/smart-tank-ifaces.nft',
    ]);
  });
});

describe('first boot', () => {
  it('installs the bundle from the boot partition once, overwrites and removes it, never applies another', async () => {
    const root = scratchRoot();
    const boot = join(root, 'boot/firmware');
    mkdirSync(boot, { recursive: true });
    const bundle = await writeDeviceBundle(boot);
    const bundleFiles = tree(bundle.dir).filter((p) => statSync(join(bundle.dir, p)).isFile());
    const shredded: string[] = [];
    const shred = async (file: string) => {
      shredded.push(file.slice(bundle.dir.length + 1));
      await shredFile(file);
    };

    const first = await firstBoot({ root, log: silentLogger, shred });
    expect(first).toMatchObject({ outcome: 'installed', bundleId: bundle.bundleId });
    expect(existsSync(bundle.dir)).toBe(false);
    expect(shredded.sort()).toEqual(bundleFiles);
    const installed = readFileSync(join(root, 'etc/smart-tank/vpn/wg0.conf'));
    expect(installed.equals(bundle.files.find((f) => f.destination.endsWith('wg0.conf'))!.content)).toBe(
      true,
    );

    // Nothing on the card: nothing to do.
    expect(await firstBoot({ root, log: silentLogger, shred })).toEqual({ outcome: 'no-bundle' });

    // Another bundle on the card of a provisioned Pi: removed, not applied.
    const second = await writeDeviceBundle(boot, { device: 'farm-gw-99' });
    const after = await firstBoot({ root, log: silentLogger, shred });
    expect(after.outcome).toBe('already-provisioned');
    expect(existsSync(second.dir)).toBe(false);
    expect(readFileSync(join(root, 'etc/smart-tank/vpn/wg0.conf')).equals(installed)).toBe(true);
    expect(readFileSync(join(root, 'etc/smart-tank/config.yaml'), 'utf8')).toContain('id: farm-gw-07');
  });

  it('leaves a refused bundle on the card and installs nothing', async () => {
    const root = scratchRoot();
    const boot = join(root, 'boot');
    mkdirSync(boot, { recursive: true });
    const bundle = await writeDeviceBundle(boot); // Bullseye's place: /boot/smart-tank
    writeFileSync(join(bundle.dir, 'files/etc/smart-tank/mqtt-password'), 'not the password\n');
    const before = tree(join(root, 'etc'));
    await expect(firstBoot({ root, log: silentLogger, shred: shredFile })).rejects.toThrow(
      /mqtt-password: sha256 [0-9a-f]{64} differs/,
    );
    expect(existsSync(join(bundle.dir, 'FIRSTBOOT'))).toBe(true);
    expect(tree(join(root, 'etc'))).toEqual(before);
  });
});
