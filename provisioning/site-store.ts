// Reading and writing a site directory: site.yaml and inventory.csv (public, committed), the secrets
// (0600 under secrets/), the generated files (under out/). The only module of provisioning/ that knows
// how a site is stored; the operations get and hand back plain values.

import { access, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseBaseNetwork, type BaseNetwork } from './address-plan.js';
import { formatInventory, parseInventory, type InventoryRow } from './inventory.js';
import { formatSite, parseSite, siteLayout, SiteError, type Site, type SiteLayout } from './site.js';
import { writePublicFile } from './secret-files.js';

export interface SiteState {
  layout: SiteLayout;
  site: Site;
  base: BaseNetwork;
  rows: InventoryRow[];
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function openSite(dir: string): Promise<SiteState> {
  const layout = siteLayout(resolve(dir));
  let siteText: string;
  try {
    siteText = await readFile(layout.siteFile, 'utf8');
  } catch {
    throw new SiteError(
      `${layout.dir} is not a provisioning site (no site.yaml): create one with ` +
        '`smart-tank provision init-site SITE --endpoint HOST`, or pass --dir',
    );
  }
  const site = parseSite(siteText, layout.siteFile);
  const inventoryText = (await fileExists(layout.inventory)) ? await readFile(layout.inventory, 'utf8') : '';
  const rows = parseInventory(inventoryText, layout.inventory);
  for (const r of rows)
    if (r.site !== site.site)
      throw new SiteError(`${layout.inventory}: ${r.device} belongs to site "${r.site}", not "${site.site}"`);
  return { layout, site, base: parseBaseNetwork(site.network), rows };
}

export async function saveSite(state: SiteState): Promise<void> {
  await writePublicFile(state.layout.siteFile, formatSite(state.site));
  await writePublicFile(state.layout.inventory, formatInventory(state.rows));
}

export async function readSecret(file: string, what: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    throw new SiteError(`${what} is missing (${file}): the site's secrets/ folder is incomplete`);
  }
}
