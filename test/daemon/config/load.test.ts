import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../daemon/config/load.js';
import { main } from '../../../daemon/cli/main.js';
import type { CliIo } from '../../../daemon/cli/io.js';
import { configWarnings } from '../../../daemon/config/warnings.js';
import { configSchema } from '../../../daemon/config/schema.js';
import {
  configProblems,
  configWith,
  EXAMPLE_CONFIG_FILE,
  exampleConfig,
  rawTank,
  schemaKeyPaths,
} from '../../helpers/config.js';

const problems = configProblems;

const gateway = { id: 'gw', timezone: 'UTC' };

describe('config validation', () => {
  it('accepts the shipped example and fills defaults', () => {
    const config = exampleConfig();
    expect(config.tanks.map((t) => t.id)).toEqual(['house', 'farm']);
    expect(config.tanks[1]!.level.filter.medianWindow).toBe(5);
    expect(config.tanks[1]!.control.lowPct).toBe(15);
    expect(config.tanks[1]!.control.highPct).toBe(80);
    expect(config.mqtt.listen).toEqual([{ host: '127.0.0.1', port: 1883 }]);
  });

  it('names every problem with its exact key path, all at once', () => {
    const list = problems({
      gateway: { id: 'Bad Id!', timezone: 'UTC' },
      tanks: [
        {
          ...rawTank(),
          geometry: { shape: 'vertical-cylinder', diameterMm: -1, heightMm: 1300 },
          valves: [{ id: 'mains', pin: 40 }],
          colour: 'blue',
        },
      ],
      mqtt: { port: 1883 },
    });
    expect(list).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^gateway\.id: must be 1-32 characters/),
        expect.stringMatching(/^tanks\[0\]\.geometry\.diameterMm: .*>0/),
        expect.stringMatching(/^tanks\[0\]\.valves\[0\]\.pin: .*<=27/),
        'tanks[0].colour: unknown key',
        'mqtt.port: unknown key',
      ]),
    );
    expect(list).toHaveLength(5);
  });

  it('reports missing required keys as required', () => {
    expect(problems({ gateway, tanks: [{ ...rawTank(), level: undefined }] })).toContain(
      'tanks[0].level: is required',
    );
  });

  it('takes an external broker by mqtt:// or mqtts:// only (the bundle has no WebSocket transport)', () => {
    const external = (url: string) =>
      problems({ gateway, tanks: [rawTank()], mqtt: { broker: 'external', url } });
    expect(external('mqtt://127.0.0.1:1883')).toEqual([]);
    expect(external('mqtts://broker.farm.lan:8883')).toEqual([]);
    expect(external('ws://127.0.0.1:8080/mqtt')).toEqual(['mqtt.url: must be an mqtt:// or mqtts:// URL']);
  });

  it('checks low < high, critical <= low, high below the brim', () => {
    const list = problems({
      gateway,
      tanks: [rawTank({ control: { lowPct: 85, highPct: 80, criticalPct: 90 } })],
    });
    expect(list).toContain('tanks[0].control.lowPct: lowPct (85%) must be below highPct (80%)');
    expect(list).toContain('tanks[0].control.criticalPct: criticalPct (90%) must not exceed lowPct (85%)');
    expect(problems({ gateway, tanks: [rawTank({ control: { highPct: 100 } })] })).toContain(
      'tanks[0].control.highPct: highPct must be below 100% (the brim): leave room to stop the fill',
    );
    // The key blamed is one the user wrote: a ratio written for a percent blames lowPct, not the default criticalPct.
    expect(problems({ gateway, tanks: [rawTank({ control: { lowPct: 0.15 } })] })).toContain(
      'tanks[0].control.lowPct: criticalPct (5%) must not exceed lowPct (0.15%) (0.15 is 0.15%: percent keys take 15 for 15 %)',
    );
  });

  it('checks probe heights: inside the tank, high-high above the high threshold, dry-run above the outlet', () => {
    const list = problems({
      gateway,
      tanks: [
        rawTank({
          probes: {
            electrodes: [
              { id: 'low', heightMm: 30, pin: 17, role: 'dry-run' },
              { id: 'top', heightMm: 900, pin: 22, role: 'high-high' },
              { id: 'sky', heightMm: 2000, pin: 27 },
            ],
          },
        }),
      ],
    });
    expect(list).toContain(
      'tanks[0].probes.electrodes[0].heightMm: a dry-run electrode must sit above the outlet (outletHeightMm 50)',
    );
    expect(list).toContain(
      'tanks[0].probes.electrodes[1].heightMm: highPct (80%) must be below the high-high electrode (69.23%): the probe is the independent stop above the control level (put the electrode above 1040 mm)',
    );
    expect(list).toContain('tanks[0].probes.electrodes[2].heightMm: must be inside the tank (below 1300 mm)');
  });

  it('refuses a pin used twice, naming both users', () => {
    const list = problems({
      gateway,
      tanks: [
        rawTank(),
        rawTank({ id: 'farm', valves: [{ id: 'v', pin: 17 }], pump: { pin: 5 }, probes: undefined }),
      ],
    });
    expect(list).toEqual([
      'tanks[1].valves[0].pin: GPIO 17 is already used by tanks[0].probes.electrodes[0].pin',
    ]);
  });

  it('refuses a sensor mounted so the brim is in its dead zone', () => {
    const list = problems({ gateway, tanks: [rawTank({ level: { ultrasonic: { mountHeightMm: 1400 } } })] });
    expect(list).toEqual([
      'tanks[0].level.ultrasonic.mountHeightMm: water at the brim would be 100 mm from the sensor, inside its dead zone (minRangeMm 250): mount the sensor higher',
    ]);
  });

  it('refuses duplicate ids, an unknown time zone, a bad calibration table, a normally-open valve', () => {
    // Schema errors (the normally-open valve) are reported before the cross-field rules run.
    const withValves = (valves: Record<string, unknown>[]) => ({
      gateway: { id: 'gw', timezone: 'Mars/Olympus' },
      tanks: [
        rawTank({
          geometry: {
            shape: 'calibration-table',
            points: [
              { heightMm: 0, litres: 0 },
              { heightMm: 500, litres: 400 },
              { heightMm: 400, litres: 300 },
            ],
          },
          valves,
        }),
      ],
    });
    expect(
      problems(
        withValves([
          { id: 'a', pin: 23 },
          { id: 'b', pin: 25, normallyClosed: false },
        ]),
      ),
    ).toEqual([
      'tanks[0].valves[1].normallyClosed: must be true: use a normally-closed valve so a power cut stops the water',
    ]);
    expect(
      problems(
        withValves([
          { id: 'a', pin: 23 },
          { id: 'a', pin: 25 },
        ]),
      ),
    ).toEqual(
      expect.arrayContaining([
        'gateway.timezone: unknown time zone "Mars/Olympus" (use an IANA name like Europe/Paris)',
        'tanks[0].geometry.points[2].heightMm: heights must increase strictly',
        'tanks[0].geometry.points[2].litres: litres must increase strictly',
        'tanks[0].valves[1].id: duplicate valve id "a"',
      ]),
    );
  });

  it('reports YAML syntax errors with the line', () => {
    expect(() => parseConfig('gateway:\n  id: [unclosed\n')).toThrow(/YAML syntax error at line \d+/);
  });
});

describe('smart-tank config check', () => {
  function io() {
    const out: string[] = [];
    const err: string[] = [];
    const cli: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {}, isTTY: false };
    return { cli, out, err };
  }

  it('exits 0 for the example', async () => {
    const { cli, out } = io();
    expect(await main(['config', 'check', EXAMPLE_CONFIG_FILE], cli)).toBe(0);
    expect(out.join('\n')).toMatch(/valid \(gateway farm-gw-01, 2 tank\(s\)\)/);
  });

  it('takes the file as --config FILE too (the spelling of every other command), not both ways at once', async () => {
    const { cli, out } = io();
    expect(await main(['config', 'check', '--config', EXAMPLE_CONFIG_FILE], cli)).toBe(0);
    expect(out.join('\n')).toMatch(/valid \(gateway farm-gw-01, 2 tank\(s\)\)/);
    const both = io();
    expect(
      await main(['config', 'check', EXAMPLE_CONFIG_FILE, '--config', EXAMPLE_CONFIG_FILE], both.cli),
    ).toBe(2);
    expect(both.err.join('\n')).toMatch(/give the config once: FILE or --config FILE, not both/);
  });

  it('says what it understood of each tank, and which thresholds are in force and why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'gw.yaml');
    writeFileSync(
      file,
      readFileSync(EXAMPLE_CONFIG_FILE, 'utf8').replace('stateDir: ./var', `stateDir: ${dir}`),
    );
    const thresholds = { lowPct: 20, highPct: 70, by: 'alice', configLowPct: 15, configHighPct: 80 };
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ version: 2, tanks: { house: { thresholds } } }));
    const { cli, out } = io();
    expect(await main(['config', 'check', file], cli)).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(
      /tank house \(House greywater tank\): vertical cylinder, 1400 mm across, 1300 mm to the brim = 2,001 L/,
    );
    expect(text).toMatch(/refill +opens below 15% \(300 L\), closes at 80% \(1,601 L\)/);
    expect(text).toMatch(/in force +thresholds 20\/70% set by alice by command \(this file says 15\/80%\)/);
    expect(text).toMatch(/tank farm[^]*in force +thresholds 15\/80% from this file/);
    expect(text).toMatch(
      /probes +bottom 80 mm = 6\.2% \(dry-run\), middle 650 mm = 50%, top 1200 mm = 92\.3% \(high-high\)/,
    );
  });

  it('exits 1 with one `path: message` line per problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'gateway:\n  id: gw\n  colour: red\ntanks: []\n');
    const { cli, out } = io();
    expect(await main(['config', 'check', file], cli)).toBe(1);
    expect(out).toEqual(['gateway.colour: unknown key', 'tanks: needs at least one tank']);
  });

  it('exits 1 naming the file when it cannot be read', async () => {
    const { cli, out } = io();
    expect(await main(['config', 'check', '/nonexistent/x.yaml'], cli)).toBe(1);
    expect(out[0]).toMatch(/^\(root\): no such file: give the config with --config FILE/);
  });
});

describe('config errors a person can act on', () => {
  const gateway = { id: 'gw' };

  it('a value of the wrong type says what was expected and what was found', () => {
    const list = configProblems({
      gateway: { id: 123 },
      tanks: [
        rawTank({
          geometry: { shape: 'vertical-cylinder', diameterMm: '2000mm', heightMm: 1300 },
          probes: { wetWhenHigh: 'yes', electrodes: [{ id: 'b', heightMm: 80, pin: 17 }] },
        }),
      ],
    });
    expect(list).toContain('gateway.id: expected text, found the number 123 (put it in quotes)');
    expect(list).toContain(
      'tanks[0].geometry.diameterMm: expected a number, found the text "2000mm" (write the number alone: the unit is in the key name, e.g. heightMm: 2000)',
    );
    expect(list).toContain(
      'tanks[0].probes.wetWhenHigh: expected true or false, found the text "yes" (write true or false; yes/no/on/off are text in YAML 1.2)',
    );
    expect(configProblems({ gateway: {}, tanks: [rawTank()] })).toContain('gateway.id: is required');
  });

  it('an unknown key suggests the key meant', () => {
    const list = configProblems({
      gateway,
      tanks: [{ ...rawTank(), contrl: {}, valves: [{ id: 'v', pin: 23, activLow: true }] }],
    });
    expect(list).toContain('tanks[0].contrl: unknown key (did you mean control?)');
    expect(list).toContain('tanks[0].valves[0].activLow: unknown key (did you mean activeLow?)');
    expect(configProblems({ gateway: { id: 'gw', zebra: 1 }, tanks: [rawTank()] })).toContain(
      'gateway.zebra: unknown key',
    );
  });

  it('a YAML syntax error comes first and alone, with the line and what to do', () => {
    expect(() => parseConfig('gateway:\n\tid: gw\ntanks: [\n')).toThrow(
      /^config: YAML syntax error at line 2: Tabs are not allowed as indentation \(indent with spaces, not tabs\)$/,
    );
  });

  it('warns on values that are valid but probably a unit mistake', () => {
    const config = configWith([
      rawTank({
        geometry: { shape: 'vertical-cylinder', diameterMm: 2.4, heightMm: 1300 },
        level: { ultrasonic: { mountHeightMm: 1600 } },
      }),
    ]);
    const warnings = configWarnings(config).map((w) => `${w.path}: ${w.message}`);
    expect(warnings).toContain(
      'tanks[0].geometry.diameterMm: 2.4 mm is very small for a tank: values are in millimetres (2.4 m would be 2400)',
    );
    expect(warnings.some((w) => /tanks\[0\]\.geometry: the tank holds 0 L: outside 50 L/.test(w))).toBe(true);
    expect(configWarnings(exampleConfig())).toEqual([]);
  });
});

describe('daemon/config/example.yaml documents every key', () => {
  it('every key of the schema appears in the example, as a key or a commented-out key', () => {
    const text = readFileSync(EXAMPLE_CONFIG_FILE, 'utf8');
    const documented = new Set<string>();
    for (const m of text.matchAll(/(?:^[ \t]*(?:#[ \t]*)*(?:-[ \t]*)?|[{,][ \t]*)([A-Za-z][A-Za-z0-9]*):/gm))
      documented.add(m[1]!);
    const missing = schemaKeyPaths(configSchema).filter((path) => !documented.has(path.split('.').pop()!));
    expect(missing).toEqual([]);
  });
});
