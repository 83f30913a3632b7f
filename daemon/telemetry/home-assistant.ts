// Home Assistant MQTT discovery: each tank appears as a device with sensors (level %, litres), a valve,
// a pump switch and binary sensors for its alarms, all unavailable while the gateway is offline.
// Commands from Home Assistant go through the same checked path as any other (they must come from a
// user allowed to command: `homeAssistant.commandUser`, role integrator with the command grant).

import type { Config, TankConfig } from '../config/schema.js';
import type { AlarmKind } from '../control/types.js';
import type { Topics } from './topics.js';

export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

interface AlarmSensor {
  key: string;
  name: string;
  deviceClass: 'problem' | 'moisture' | 'safety';
  alarms: AlarmKind[];
}

const ALARM_SENSORS: AlarmSensor[] = [
  {
    key: 'fault',
    name: 'Fault',
    deviceClass: 'problem',
    alarms: ['sensor-stale', 'sensor-disagree', 'high-high', 'no-rise', 'fill-timeout', 'short-cycling'],
  },
  { key: 'leak', name: 'Leak', deviceClass: 'moisture', alarms: ['leak'] },
  { key: 'level_critical', name: 'Level critical', deviceClass: 'problem', alarms: ['level-critical'] },
  { key: 'dry_run', name: 'Pump dry-run stop', deviceClass: 'safety', alarms: ['dry-run'] },
  { key: 'high_high', name: 'High-high probe', deviceClass: 'safety', alarms: ['high-high'] },
];

/**
 * A command template Home Assistant fills in: a unique id and the current time, so the command passes
 * the daemon's freshness and replay checks. (Home Assistant cannot sign: give its user no HMAC key.)
 */
function commandTemplate(tank: string, action: 'valve' | 'pump', field: 'open' | 'on'): string {
  return (
    `{"id":"ha-{{ (now().timestamp() * 1000000) | int }}","ts":{{ (now().timestamp() * 1000) | int }},` +
    `"tank":"${tank}","action":"${action}","${field}":{{ 'true' if value in ['OPEN', 'ON'] else 'false' }}}`
  );
}

export function discoveryMessages(config: Config, topics: Topics, version: string): DiscoveryMessage[] {
  const commandUser = config.mqtt.homeAssistant.commandUser;
  const prefix = config.mqtt.homeAssistant.discoveryPrefix;
  const gw = config.gateway.id;
  const messages: DiscoveryMessage[] = [];
  // The gateway itself: the device the tanks are connected through (their via_device).
  const gatewayNode = gw.replaceAll('-', '_');
  const gatewayDevice = {
    identifiers: [gw],
    name: config.gateway.name ?? `Tank gateway ${gw}`,
    manufacturer: 'smart-tank',
    model: 'Smart tank gateway',
    sw_version: version,
  };
  const availability = [
    { topic: topics.status, payload_available: 'online', payload_not_available: 'offline' },
  ];
  messages.push(
    {
      topic: `${prefix}/sensor/${gatewayNode}/cpu_temperature/config`,
      payload: {
        name: 'CPU temperature',
        unique_id: `${gatewayNode}_cpu_temperature`,
        state_topic: topics.system,
        value_template: '{{ value_json.cpuTemperatureC }}',
        device_class: 'temperature',
        unit_of_measurement: '°C',
        state_class: 'measurement',
        availability,
        device: gatewayDevice,
        origin: { name: 'smart-tank', sw_version: version },
      },
    },
    {
      topic: `${prefix}/sensor/${gatewayNode}/memory_used/config`,
      payload: {
        name: 'Memory used',
        unique_id: `${gatewayNode}_memory_used`,
        state_topic: topics.system,
        value_template: '{{ value_json.memUsedPct }}',
        unit_of_measurement: '%',
        state_class: 'measurement',
        icon: 'mdi:memory',
        availability,
        device: gatewayDevice,
        origin: { name: 'smart-tank', sw_version: version },
      },
    },
  );
  for (const tank of config.tanks) {
    const node = `${gw}_${tank.id}`.replaceAll('-', '_');
    const common = commonFields(config, tank, topics, node, version);
    const add = (component: string, objectId: string, payload: Record<string, unknown>) =>
      messages.push({
        topic: `${prefix}/${component}/${node}/${objectId}/config`,
        payload: { ...common, unique_id: `${node}_${objectId}`, ...payload },
      });

    add('sensor', 'level', {
      name: 'Level',
      unit_of_measurement: '%',
      state_class: 'measurement',
      icon: 'mdi:water-percent',
      value_template: '{{ value_json.levelPct }}',
    });
    add('sensor', 'volume', {
      name: 'Volume',
      device_class: 'volume_storage',
      unit_of_measurement: 'L',
      state_class: 'measurement',
      value_template: '{{ value_json.litres }}',
    });
    add('sensor', 'status', {
      name: 'Status',
      icon: 'mdi:information-outline',
      value_template: '{{ value_json.status }}',
    });
    add('valve', 'fill_valve', {
      name: 'Fill valve',
      device_class: 'water',
      reports_position: false,
      value_template: '{{ value_json.valve }}',
      state_open: 'open',
      state_closed: 'closed',
      command_topic: topics.command(commandUser),
      command_template: commandTemplate(tank.id, 'valve', 'open'),
      payload_open: 'OPEN',
      payload_close: 'CLOSE',
    });
    if (tank.pump) {
      add('switch', 'pump', {
        name: 'Pump',
        value_template: '{{ value_json.pump }}',
        state_on: 'on',
        state_off: 'off',
        payload_on: 'ON',
        payload_off: 'OFF',
        command_topic: topics.command(commandUser),
        command_template: commandTemplate(tank.id, 'pump', 'on'),
      });
    }
    for (const a of ALARM_SENSORS) {
      const list = a.alarms.map((k) => `'${k}'`).join(', ');
      add('binary_sensor', a.key, {
        name: a.name,
        device_class: a.deviceClass,
        value_template: `{{ 'ON' if value_json.alarms | select('in', [${list}]) | list | length > 0 else 'OFF' }}`,
        payload_on: 'ON',
        payload_off: 'OFF',
      });
    }
  }
  return messages;
}

function commonFields(
  config: Config,
  tank: TankConfig,
  topics: Topics,
  node: string,
  version: string,
): Record<string, unknown> {
  return {
    state_topic: topics.tankState(tank.id),
    availability: [{ topic: topics.status, payload_available: 'online', payload_not_available: 'offline' }],
    device: {
      identifiers: [node],
      name: tank.name ?? `Tank ${tank.id}`,
      manufacturer: 'smart-tank',
      model: 'Smart tank gateway',
      sw_version: version,
      via_device: config.gateway.id,
    },
    origin: { name: 'smart-tank', sw_version: version },
  };
}
