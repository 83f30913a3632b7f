// The address plan against the source paper's Table 1, the last-tank rule decided where the table is
// inconsistent, and the refusals: one tank too many, an 11th server, collisions.

import { describe, expect, it } from 'vitest';
import {
  allocateTankAddress,
  AddressPlanError,
  checkServerNumber,
  describeRanges,
  parseBaseNetwork,
  phoneAddress,
  placeAddress,
  serverAddress,
  serverSubnet,
  tankAddress,
  TANKS_PER_SERVER,
} from '../../provisioning/address-plan.js';

const PAPER = parseBaseNetwork('192.168.0.0/16');

describe('address plan (source paper, Table 1)', () => {
  it.each([
    [1, '192.168.0.1', '192.168.0.2', '192.168.0.3'],
    [2, '192.168.1.1', '192.168.1.2', '192.168.1.3'],
    [10, '192.168.9.1', '192.168.9.2', '192.168.9.3'],
  ])('server #%i: server %s, phone %s, first tank %s', (n, server, phone, tank1) => {
    expect(serverAddress(PAPER, n)).toBe(server);
    expect(phoneAddress(PAPER, n)).toBe(phone);
    expect(tankAddress(PAPER, n, 1)).toBe(tank1);
    expect(serverSubnet(PAPER, n)).toBe(`192.168.${n - 1}.0/24`);
  });

  it('last-tank rule: tank k at .(k+2), so tank #250 is .252 (the table says .251, one short of 250)', () => {
    expect(TANKS_PER_SERVER).toBe(250);
    expect(tankAddress(PAPER, 1, 249)).toBe('192.168.0.251');
    expect(tankAddress(PAPER, 1, 250)).toBe('192.168.0.252');
    expect(tankAddress(PAPER, 10, 250)).toBe('192.168.9.252');
    expect(() => tankAddress(PAPER, 1, 251)).toThrow(AddressPlanError);
    expect(placeAddress(PAPER, '192.168.0.253')).toEqual({ kind: 'reserved', server: 1 });
    expect(placeAddress(PAPER, '192.168.0.254')).toEqual({ kind: 'reserved', server: 1 });
    expect(placeAddress(PAPER, '192.168.0.252')).toEqual({ kind: 'tank', server: 1, tank: 250 });
  });

  it('a configurable base network: server #n is its n-th /24', () => {
    const base = parseBaseNetwork('10.77.0.0/16');
    expect(serverSubnet(base, 3)).toBe('10.77.2.0/24');
    expect(tankAddress(base, 3, 7)).toBe('10.77.2.9');
    expect(() => parseBaseNetwork('10.77.0.0/24')).toThrow(/hold 10 \/24/);
    expect(() => parseBaseNetwork('10.77.1.0/16')).toThrow(/host bits set: did you mean 10.77.0.0\/16/);
    expect(() => parseBaseNetwork('banana')).toThrow(/IPv4 network/);
  });

  it('fills a server with 250 tanks, then refuses one more naming the server', () => {
    const taken = new Map<string, string>();
    for (let k = 1; k <= TANKS_PER_SERVER; k++) {
      const a = allocateTankAddress(PAPER, 2, taken);
      expect(a).toBe(tankAddress(PAPER, 2, k));
      taken.set(a, `gw-${k}`);
    }
    expect(() => allocateTankAddress(PAPER, 2, taken)).toThrow(
      'server #2 (192.168.1.0/24) is full: all 250 tank addresses (192.168.1.3-192.168.1.252) are taken',
    );
  });

  it('refuses an 11th server', () => {
    expect(() => checkServerNumber(11)).toThrow(
      'server #11 is outside the address plan: servers are numbered 1 to 10',
    );
    expect(() => serverSubnet(PAPER, 0)).toThrow(AddressPlanError);
  });

  it('refuses collisions and foreign addresses, naming the holder and the free addresses', () => {
    const taken = new Map([
      ['192.168.0.3', 'farm-gw-01'],
      ['192.168.0.5', 'farm-gw-03 (revoked)'],
    ]);
    expect(() => allocateTankAddress(PAPER, 1, taken, '192.168.0.3')).toThrow(
      '192.168.0.3 is taken by farm-gw-01; free tank addresses on server #1 (192.168.0.0/24): ' +
        '192.168.0.4, 192.168.0.6-192.168.0.252',
    );
    expect(() => allocateTankAddress(PAPER, 1, taken, '192.168.0.5')).toThrow(
      'taken by farm-gw-03 (revoked)',
    );
    expect(() => allocateTankAddress(PAPER, 1, taken, '192.168.0.1')).toThrow('is the VPN server (.1)');
    expect(() => allocateTankAddress(PAPER, 1, taken, '192.168.0.2')).toThrow("is the farmer's phone (.2)");
    expect(() => allocateTankAddress(PAPER, 1, taken, '192.168.0.253')).toThrow('is reserved');
    expect(() => allocateTankAddress(PAPER, 1, taken, '192.168.1.9')).toThrow('belongs to server #2, not #1');
    expect(() => allocateTankAddress(PAPER, 1, taken, '10.0.0.9')).toThrow('is outside the site');
    expect(allocateTankAddress(PAPER, 1, taken)).toBe('192.168.0.4');
    expect(allocateTankAddress(PAPER, 1, taken, '192.168.0.200')).toBe('192.168.0.200');
  });

  it('describes free addresses as ranges', () => {
    expect(describeRanges([])).toBe('none');
    expect(describeRanges(['10.0.0.9', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.7'])).toBe(
      '10.0.0.3-10.0.0.5, 10.0.0.7, 10.0.0.9',
    );
  });
});
