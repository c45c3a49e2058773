import { describe, expect, it } from 'vitest';
import { addressKey } from './ip.js';
import { PrincipalHasher } from './principal.js';

describe('addressKey', () => {
  it('keys IPv4 as is and IPv4-mapped IPv6 as IPv4', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:cb00:7107')).toBe('203.0.113.7');
  });
  it('keys IPv6 by /56 so rotating inside an allocation keeps one identity', () => {
    const a = addressKey('2001:db8:1234:5600::1');
    expect(a).toBe('2001:db8:1234:5600::/56');
    expect(addressKey('2001:db8:1234:56ff:ffff:ffff:ffff:ffff')).toBe(a);
    expect(addressKey('2001:db8:1234:5700::1')).not.toBe(a);
    expect(addressKey('2001:db8:1234:5600::1', 64)).toBe('2001:db8:1234:5600::/64');
    expect(addressKey('fe80::1%eth0', 128)).toBe('fe80::1');
  });
  it('returns undefined for anything that is not an address', () => {
    expect(addressKey(undefined)).toBeUndefined();
    expect(addressKey('not-an-ip')).toBeUndefined();
  });
});

describe('PrincipalHasher', () => {
  it('hashes with the key: same secret, same hash; other secret, other hash; kinds are separate', () => {
    const a = new PrincipalHasher('0123456789abcdef0123');
    const b = new PrincipalHasher('0123456789abcdef0123');
    const c = new PrincipalHasher('another-secret-of-length');
    expect(a.hash('user', 'u1')).toBe(b.hash('user', 'u1'));
    expect(a.hash('user', 'u1')).not.toBe(c.hash('user', 'u1'));
    expect(a.hash('user', 'u1')).not.toBe(a.hash('api-key', 'u1'));
    expect(a.hash('user', 'u1')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
  it('keeps the raw id out of JSON and inspection', async () => {
    const p = new PrincipalHasher().principal({ kind: 'api-key', id: 'sk_secret' });
    expect(JSON.stringify(p)).not.toContain('sk_secret');
    const { inspect } = await import('node:util');
    expect(inspect(p)).not.toContain('sk_secret');
  });
  it('refuses short secrets', () => {
    expect(() => new PrincipalHasher('short')).toThrow(/at least 16 bytes/);
  });
});

describe('forwarded addresses, groups and ranges', () => {
  it('reads X-Forwarded-For entries as proxies write them, and nothing else', async () => {
    const { forwardedAddress } = await import('./ip.js');
    expect(forwardedAddress(' 203.0.113.7 ')).toBe('203.0.113.7');
    expect(forwardedAddress('203.0.113.7:5555')).toBe('203.0.113.7');
    expect(forwardedAddress('[2001:db8::1]')).toBe('2001:db8::1');
    expect(forwardedAddress('[2001:db8::1]:443')).toBe('2001:db8::1');
    expect(forwardedAddress('2001:db8::1')).toBe('2001:db8::1');
    for (const junk of ['unknown', '', '203.0.113.7:', '[2001:db8::1', '[2001:db8::1]x', '_hidden', '999.1.1.1', '203.0.113.7:99999999']) {
      expect(forwardedAddress(junk), junk).toBeUndefined();
    }
  });
  it('groups addresses by /16 and /32 for overflow buckets', async () => {
    const { addressGroup } = await import('./ip.js');
    expect(addressGroup('198.51.100.7')).toBe('198.51.0.0/16');
    expect(addressGroup('2001:db8:1234:5600::/56')).toBe('2001:db8::/32');
    expect(addressGroup('not an address')).toBe('other');
  });
  it('matches addresses against CIDR ranges, IPv4-mapped as IPv4', async () => {
    const { inRanges, parseRange } = await import('./ip.js');
    const ranges = ['10.0.0.0/8', '2001:db8::/32', '192.0.2.5'].map((r) => parseRange(r)).filter((r) => r !== undefined);
    expect(ranges).toHaveLength(3);
    expect(inRanges('10.1.2.3', ranges)).toBe(true);
    expect(inRanges('::ffff:10.9.9.9', ranges)).toBe(true);
    expect(inRanges('11.0.0.1', ranges)).toBe(false);
    expect(inRanges('2001:db8:ffff::1', ranges)).toBe(true);
    expect(inRanges('2001:db9::1', ranges)).toBe(false);
    expect(inRanges('192.0.2.5', ranges)).toBe(true);
    expect(inRanges('192.0.2.6', ranges)).toBe(false);
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'x/8', '10.0.0.0/', '10.0.0.0/8/1']) expect(parseRange(bad), bad).toBeUndefined();
  });
});
