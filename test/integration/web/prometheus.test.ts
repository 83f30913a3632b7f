// The scrape config documented in daemon/web/README.md, run by a real Prometheus (Debian's) against the
// daemon on the simulated tank: it scrapes /metrics with the bearer token and holds the tank's level.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { waitFor } from '../../helpers/daemon.js';
import { dashboardUrl, http } from '../../helpers/dashboard.js';
import { freePort, PlaneUnderTest } from '../../helpers/mqtt-plane.js';

const README = new URL('../../../daemon/web/README.md', import.meta.url).pathname;
const SCRAPE_TIMEOUT_MS = 30_000;
const TOKEN = 'prometheus-test-token-0123456789abcdef';

describe('Prometheus with the documented scrape config', () => {
  let plane: PlaneUnderTest | undefined;
  let prometheus: ChildProcess | undefined;
  afterAll(async () => {
    prometheus?.kill('SIGKILL');
    await plane?.close();
  });

  it('scrapes the gateway with the metrics token and has its tank levels', async () => {
    plane = new PlaneUnderTest('embedded', {
      configure: (config) => {
        const tokenFile = join(plane!.dir, 'metrics.token');
        writeFileSync(tokenFile, TOKEN + '\n');
        config.web = { ...config.web, metrics: { tokenFile } };
      },
    });
    await plane.start();
    const target = new URL(await dashboardUrl(plane.daemon)).host;

    const block = /<!-- scrape-config -->\s*```yaml\n([^]*?)```/.exec(readFileSync(README, 'utf8'))?.[1];
    expect(block, 'the scrape config block in daemon/web/README.md').toBeDefined();
    const config = parse(block!) as {
      scrape_configs: {
        scrape_interval: string;
        authorization: { credentials_file: string };
        static_configs: { targets: string[] }[];
      }[];
    };
    const job = config.scrape_configs[0]!;
    job.scrape_interval = '1s';
    job.authorization.credentials_file = join(plane.dir, 'prometheus.token');
    writeFileSync(job.authorization.credentials_file, TOKEN + '\n');
    job.static_configs[0]!.targets = [target];
    const configFile = join(plane.dir, 'prometheus.yml');
    writeFileSync(configFile, stringify(config));

    const port = await freePort();
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(plane.dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    prometheus.on('error', () => {});
    const query = async (q: string) => {
      const r = await http(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`).catch(
        () => undefined,
      );
      if (!r || r.status !== 200) return undefined;
      return (
        JSON.parse(r.body) as {
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        }
      ).data.result;
    };
    let levels: Awaited<ReturnType<typeof query>>;
    await waitFor(
      () => {
        void query('smart_tank_level_percent').then((r) => (levels = r));
        return levels && levels.length === 2 ? true : undefined;
      },
      SCRAPE_TIMEOUT_MS,
      'Prometheus to scrape the tank levels',
    );
    const up = await query('up{job="smart-tank"}');
    expect(up?.[0]?.value[1]).toBe('1');
    expect(levels!.map((l) => [l.metric.tank, l.metric.farm, l.metric.gateway])).toEqual(
      expect.arrayContaining([
        ['house', 'my-farm', 'farm-gw-01'],
        ['farm', 'my-farm', 'farm-gw-01'],
      ]),
    );
    for (const l of levels!) expect(Number(l.value[1])).toBeGreaterThan(0);
  });
});
