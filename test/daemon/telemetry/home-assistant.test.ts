// Discovery payloads against Home Assistant's documented MQTT discovery schema, transcribed from the
// Home Assistant documentation source into test/fixtures/home-assistant-mqtt-discovery.json.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { discoveryMessages } from '../../../daemon/telemetry/home-assistant.js';
import { topicsFor } from '../../../daemon/telemetry/topics.js';
import { exampleConfig } from '../../helpers/config.js';

interface KeyDoc {
  required: boolean;
  type: string | string[];
  allowed?: unknown[];
  keys?: Record<string, KeyDoc>;
}
interface Fixture {
  platforms: Record<string, { keys: Record<string, KeyDoc> }>;
  deviceClasses: Record<string, string[]>;
  stateClasses: string[];
  origin: { keys: Record<string, { required: boolean }> };
  discovery: { idCharacterClass: string };
}

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/home-assistant-mqtt-discovery.json', import.meta.url), 'utf8'),
) as Fixture;

/** Checks a value against a documented type; returns a problem or undefined. */
function typeProblem(value: unknown, type: string | string[]): string | undefined {
  const types = Array.isArray(type) ? type : [type];
  const ok = types.some((t) => {
    switch (t) {
      case 'string':
      case 'template':
      case 'icon':
      case 'device_class':
        return typeof value === 'string';
      case 'boolean':
        return typeof value === 'boolean';
      case 'integer':
        return Number.isInteger(value);
      case 'float':
        return typeof value === 'number';
      case 'list':
        return Array.isArray(value);
      case 'map':
        return typeof value === 'object' && value !== null && !Array.isArray(value);
      default:
        return true;
    }
  });
  return ok ? undefined : `expected ${types.join(' or ')}, got ${JSON.stringify(value)}`;
}

function validate(component: string, payload: Record<string, unknown>): string[] {
  const doc = fixture.platforms[component];
  if (!doc) return [`no documented platform "${component}"`];
  const problems: string[] = [];
  for (const [key, d] of Object.entries(doc.keys)) {
    // `platform` is only for device-based discovery (see the fixture's notes); we publish per entity.
    if (d.required && key !== 'platform' && !(key in payload)) problems.push(`missing required ${key}`);
  }
  for (const [key, value] of Object.entries(payload)) {
    if (key === 'origin') {
      for (const k of Object.keys(value as object))
        if (!(k in fixture.origin.keys)) problems.push(`origin.${k}: undocumented`);
      continue;
    }
    const d = doc.keys[key];
    if (!d) {
      problems.push(`${key}: not a documented ${component} key`);
      continue;
    }
    const p = typeProblem(value, d.type);
    if (p) problems.push(`${key}: ${p}`);
    if (d.allowed && !d.allowed.includes(value))
      problems.push(`${key}: ${JSON.stringify(value)} not in the documented values`);
    if (key === 'availability') {
      for (const item of value as Record<string, unknown>[]) {
        for (const [k, v] of Object.entries(item)) {
          const kd = d.keys?.[k];
          if (!kd) problems.push(`availability.${k}: undocumented`);
          else if (typeProblem(v, kd.type)) problems.push(`availability.${k}: ${typeProblem(v, kd.type)}`);
        }
        if (!('topic' in item)) problems.push('availability: missing topic');
      }
    }
    if (key === 'device') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const kd = d.keys?.[k];
        if (!kd) problems.push(`device.${k}: undocumented`);
        else if (typeProblem(v, kd.type)) problems.push(`device.${k}: ${typeProblem(v, kd.type)}`);
      }
    }
  }
  if (
    'device_class' in payload &&
    !fixture.deviceClasses[component]?.includes(payload.device_class as string)
  ) {
    problems.push(`device_class ${String(payload.device_class)} is not a ${component} device class`);
  }
  if ('state_class' in payload && !fixture.stateClasses.includes(payload.state_class as string)) {
    problems.push(`state_class ${String(payload.state_class)} is not documented`);
  }
  return problems;
}

describe('Home Assistant discovery', () => {
  const config = exampleConfig();
  const topics = topicsFor(config.mqtt.topicPrefix, config.gateway.id);
  const messages = discoveryMessages(config, topics, '1.2.3');

  it('publishes, per tank, level and volume sensors, a valve, a pump switch and alarm binary sensors', () => {
    const house = messages
      .filter((m) => m.topic.includes('/farm_gw_01_house/'))
      .map((m) => m.topic.split('/').slice(1, 2).concat(m.topic.split('/')[3]!).join(':'));
    expect(house).toEqual(
      expect.arrayContaining([
        'sensor:level',
        'sensor:volume',
        'valve:fill_valve',
        'switch:pump',
        'binary_sensor:leak',
        'binary_sensor:fault',
        'binary_sensor:dry_run',
      ]),
    );
  });

  it('every payload matches the documented schema of its entity type', () => {
    const idChars = new RegExp(`^${fixture.discovery.idCharacterClass}+$`);
    for (const m of messages) {
      const [prefix, component, node, objectId, last] = m.topic.split('/');
      expect(prefix).toBe('homeassistant');
      expect(last).toBe('config');
      expect(node).toMatch(idChars);
      expect(objectId).toMatch(idChars);
      expect(validate(component!, m.payload), m.topic).toEqual([]);
    }
  });

  it('ties availability to the gateway status and reads states from the tank state topic', () => {
    const valve = messages.find((m) => m.topic.endsWith('house/fill_valve/config'))!.payload;
    expect(valve.availability).toEqual([
      {
        topic: 'smart-tank/farm-gw-01/status',
        payload_available: 'online',
        payload_not_available: 'offline',
      },
    ]);
    expect(valve.state_topic).toBe('smart-tank/farm-gw-01/tank/house/state');
    expect(valve.command_topic).toBe('smart-tank/farm-gw-01/command/homeassistant');
    const ids = messages.map((m) => m.payload.unique_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('the schema check itself catches a bad payload', () => {
    expect(validate('sensor', { name: 'x' })).toContain('missing required state_topic');
    expect(validate('switch', { state_topic: 't' })).toContain('missing required command_topic');
    expect(validate('sensor', { state_topic: 't', device_class: 'flux' })).toContain(
      'device_class flux is not a sensor device class',
    );
    expect(validate('binary_sensor', { state_topic: 't', frobnicate: 1 })).toContain(
      'frobnicate: not a documented binary_sensor key',
    );
  });
});
