// Where each gateway belongs: its provisioning site and VPN server (its hub), from the inventory.csv of
// each site the fleet serves (provisioning/inventory.ts reads them). A gateway the inventories do not
// name is still shown, without a site or server.

import { readFile } from 'node:fs/promises';
import { parseInventory } from '../../provisioning/inventory.js';

export interface GatewayPlace {
  site: string;
  server: number;
  address: string;
}

export function placesFrom(rows: ReturnType<typeof parseInventory>): Map<string, GatewayPlace> {
  const places = new Map<string, GatewayPlace>();
  for (const r of rows)
    if (r.role === 'gateway' && r.status === 'active')
      places.set(r.device, { site: r.site, server: r.server, address: r.address });
  return places;
}

export async function loadPlaces(files: readonly string[]): Promise<Map<string, GatewayPlace>> {
  const places = new Map<string, GatewayPlace>();
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((err: Error) => {
      throw new Error(`cannot read the inventory ${file}: ${err.message}`);
    });
    for (const [id, p] of placesFrom(parseInventory(text, file))) places.set(id, p);
  }
  return places;
}
