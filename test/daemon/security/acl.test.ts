import { describe, expect, it } from 'vitest';
import { aclAllows, parseAcl } from '../../../daemon/security/acl.js';
import { generateAcl, mayCommand, usersFromAcl } from '../../../daemon/security/roles.js';
import { filterCovers, filtersIntersect, topicMatches } from '../../../daemon/security/topic-match.js';

const scope = { prefix: 'smart-tank', discoveryPrefix: 'homeassistant' };
const users = [
  { user: 'gateway', role: 'gateway' as const, canCommand: false },
  { user: 'alice', role: 'admin' as const, canCommand: false },
  { user: 'vic', role: 'viewer' as const, canCommand: false },
  { user: 'ha', role: 'integrator' as const, canCommand: true },
  { user: 'ian', role: 'integrator' as const, canCommand: false },
];
const text = generateAcl(users, scope);
const acl = parseAcl(text);
const can = (user: string, op: 'publish' | 'subscribe' | 'receive', topic: string) =>
  aclAllows(acl, user, `${user}-client`, op, topic);

describe('topic matching', () => {
  it('matches MQTT wildcards', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/#', 'a/b/c')).toBe(true);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
    expect(topicMatches('#', '$SYS/broker')).toBe(false);
    expect(filterCovers('a/#', 'a/+/c')).toBe(true);
    expect(filterCovers('a/+/c', 'a/#')).toBe(false);
    expect(filtersIntersect('a/#', '+/b')).toBe(true);
    expect(filtersIntersect('a/b', 'a/c')).toBe(false);
  });
});

describe('ACL generated from roles (least privilege)', () => {
  it('lets each user write only its own command topic and read only its own results', () => {
    expect(can('alice', 'publish', 'smart-tank/gw/command/alice')).toBe(true);
    expect(can('alice', 'publish', 'smart-tank/gw/command/vic')).toBe(false);
    expect(can('vic', 'publish', 'smart-tank/gw/command/vic')).toBe(true); // refused by role in the daemon, and audited
    expect(can('vic', 'receive', 'smart-tank/gw/result/vic')).toBe(true);
    expect(can('vic', 'receive', 'smart-tank/gw/result/alice')).toBe(false);
    expect(can('alice', 'receive', 'smart-tank/gw/result/vic')).toBe(true);
  });

  it('lets viewers read telemetry and nothing else; never publish telemetry', () => {
    expect(can('vic', 'receive', 'smart-tank/gw/tank/house/state')).toBe(true);
    expect(can('vic', 'receive', 'smart-tank/gw/system')).toBe(true);
    expect(can('vic', 'receive', 'smart-tank/gw/command/alice')).toBe(false);
    expect(can('vic', 'publish', 'smart-tank/gw/tank/house/state')).toBe(false);
    expect(can('vic', 'subscribe', 'smart-tank/#')).toBe(true); // granted, filtered on delivery
    expect(can('vic', 'subscribe', 'homeassistant/#')).toBe(false);
    expect(can('nobody', 'receive', 'smart-tank/gw/status')).toBe(false);
  });

  it('gives integrators Home Assistant discovery and status; the gateway the whole tree', () => {
    expect(can('ha', 'receive', 'homeassistant/sensor/x/level/config')).toBe(true);
    expect(can('ha', 'publish', 'homeassistant/status')).toBe(true);
    expect(can('ha', 'publish', 'homeassistant/sensor/x/level/config')).toBe(false);
    expect(can('gateway', 'publish', 'smart-tank/gw/tank/house/state')).toBe(true);
    expect(can('gateway', 'publish', 'homeassistant/sensor/x/level/config')).toBe(true);
  });

  it('a user name with wildcards cannot widen a pattern', () => {
    expect(aclAllows(acl, '+', 'c', 'publish', 'smart-tank/gw/command/alice')).toBe(false);
    expect(aclAllows(acl, '#', 'c', 'receive', 'smart-tank/gw/result/alice')).toBe(false);
  });

  it('records roles and grants in the file, so they can be read back', () => {
    expect(usersFromAcl(text)).toEqual(users);
    expect(mayCommand(users[1])).toBe(true);
    expect(mayCommand(users[2])).toBe(false);
    expect(mayCommand(users[3])).toBe(true);
    expect(mayCommand(users[4])).toBe(false);
    expect(mayCommand(users[0])).toBe(false);
  });

  it('honours deny rules and refuses unknown keywords', () => {
    const a = parseAcl('user bob\ntopic read x/#\ntopic deny x/secret\n');
    expect(aclAllows(a, 'bob', 'c', 'receive', 'x/open')).toBe(true);
    expect(aclAllows(a, 'bob', 'c', 'receive', 'x/secret')).toBe(false);
    expect(() => parseAcl('frobnicate x\n')).toThrow(/ACL file:1: unknown keyword "frobnicate"/);
  });
});
