/**
 * Client addresses as caller identities. IPv6 clients can rotate through the 2^64+ addresses of
 * their allocation, so an IPv6 address is keyed by its subnet (/56 by default, as express-rate-limit
 * settled on after a rotation bypass). IPv4-mapped IPv6 addresses are keyed as IPv4.
 */
import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key of a client address: IPv4 as is; IPv6 masked to `prefix` bits, e.g. `2001:db8:0:ab00::/56`.
 * Returns `undefined` for anything that is not an IP address.
 */
export function addressKey(address: string | undefined, prefix = 56): string | undefined {
  if (!address) return undefined;
  let a = address.trim();
  const zone = a.indexOf('%');
  if (zone !== -1) a = a.slice(0, zone);
  if (isIPv4(a)) return a;
  if (!isIPv6(a)) return undefined;
  const groups = expandIPv6(a);
  if (groups === undefined) return undefined;
  // ::ffff:a.b.c.d is an IPv4 client seen through a dual-stack socket.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const hi = groups[6] ?? 0;
    const lo = groups[7] ?? 0;
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  if (prefix >= 128) return `${compressIPv6(groups)}`;
  const masked = groups.map((g, i) => {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
  return `${compressIPv6(masked)}/${prefix}`;
}

/** Eight 16-bit groups of a valid IPv6 address (which may end in dotted IPv4). */
function expandIPv6(a: string): number[] | undefined {
  let tail: number[] = [];
  const lastColon = a.lastIndexOf(':');
  const last = a.slice(lastColon + 1);
  if (last.includes('.')) {
    const o = last.split('.').map(Number);
    tail = [((o[0] ?? 0) << 8) | (o[1] ?? 0), ((o[2] ?? 0) << 8) | (o[3] ?? 0)];
    a = `${a.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = a.split('::');
  const h = head === '' ? [] : head.split(':');
  const r = rest === undefined ? [] : rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? 0 : 8 - h.length - r.length;
  const groups = [...h, ...Array<string>(fill).fill('0'), ...r].map((g) => Number.parseInt(g, 16));
  if (groups.length !== 8) return undefined;
  if (tail.length === 2) groups.splice(6, 2, tail[0] ?? 0, tail[1] ?? 0);
  return groups;
}

function compressIPv6(groups: number[]): string {
  // Replace the longest run of zero groups (length >= 2) with '::' (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/**
 * The address in one `X-Forwarded-For` entry as proxies write them: `203.0.113.7`,
 * `203.0.113.7:41234`, `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:41234`. `undefined` for
 * anything else (junk, `unknown`, an obfuscated identifier): the caller must not be keyed by it.
 */
export function forwardedAddress(entry: string): string | undefined {
  let a = entry.trim();
  if (a.startsWith('[')) {
    const end = a.indexOf(']');
    if (end === -1) return undefined;
    const rest = a.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    a = a.slice(1, end);
  } else if (/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(a)) a = a.slice(0, a.lastIndexOf(':'));
  return isIPv4(a) || isIPv6(a) ? a : undefined;
}

/**
 * A coarse group of a principal id of kind `ip` (an address, or an IPv6 prefix as `addressKey`
 * writes it): IPv4 by /16, IPv6 by /32. Used for overflow buckets of a full store: callers the
 * store cannot hold individually share a bucket with their neighbours, not with everyone.
 */
export function addressGroup(id: string): string {
  const slash = id.indexOf('/');
  const a = slash === -1 ? id : id.slice(0, slash);
  if (isIPv4(a)) return `${a.split('.').slice(0, 2).join('.')}.0.0/16`;
  const groups = isIPv6(a) ? expandIPv6(a) : undefined;
  if (groups === undefined) return 'other';
  return `${(groups[0] ?? 0).toString(16)}:${(groups[1] ?? 0).toString(16)}::/32`;
}

/** A parsed CIDR range (`10.0.0.0/8`, `2001:db8::/32`, or one address). */
export interface AddressRange {
  readonly v6: boolean;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

function toBytes(a: string): { v6: boolean; bytes: Uint8Array } | undefined {
  if (isIPv4(a)) return { v6: false, bytes: Uint8Array.from(a.split('.').map(Number)) };
  if (!isIPv6(a)) return undefined;
  const g = expandIPv6(a);
  if (g === undefined) return undefined;
  // IPv4-mapped addresses compare as IPv4.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return { v6: false, bytes: Uint8Array.from([(g[6] ?? 0) >> 8, (g[6] ?? 0) & 255, (g[7] ?? 0) >> 8, (g[7] ?? 0) & 255]) };
  }
  const bytes = new Uint8Array(16);
  g.forEach((x, i) => {
    bytes[2 * i] = x >> 8;
    bytes[2 * i + 1] = x & 255;
  });
  return { v6: true, bytes };
}

/** Parses a CIDR range; `undefined` when it is not one. */
export function parseRange(cidr: string): AddressRange | undefined {
  const parts = cidr.trim().split('/');
  if (parts.length > 2) return undefined;
  const [addr = '', bits] = parts;
  const b = toBytes(addr);
  if (b === undefined) return undefined;
  const max = b.v6 ? 128 : 32;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d{1,3}$/.test(bits))) return undefined;
  return { v6: b.v6, bytes: b.bytes, prefix };
}

/** True when `address` lies in one of `ranges`. */
export function inRanges(address: string | undefined, ranges: readonly AddressRange[]): boolean {
  if (address === undefined) return false;
  let a = address.trim();
  const zone = a.indexOf('%');
  if (zone !== -1) a = a.slice(0, zone);
  const b = toBytes(a);
  if (b === undefined) return false;
  return ranges.some((r) => {
    if (r.v6 !== b.v6) return false;
    let bits = r.prefix;
    for (let i = 0; bits > 0; i++, bits -= 8) {
      const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
      if (((r.bytes[i] ?? 0) & mask) !== ((b.bytes[i] ?? 0) & mask)) return false;
    }
    return true;
  });
}
