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
