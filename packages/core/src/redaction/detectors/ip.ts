/**
 * IP addresses. IPv4: four decimal octets 0-255 without leading zeros, not part of a longer dotted
 * run (so 10.0.19045.3803 and 1.2.3.4.5 are versions, not addresses; a bare four-part version such
 * as 1.2.3.4 is indistinguishable from an address and is masked). IPv6: a run of hex digits and
 * colons with at least two colons and a digit, checked by Node's own parser (`net.isIPv6`), which
 * accepts the compressed (`::`) and IPv4-tailed forms and nothing else.
 */
import { isIPv6 } from 'node:net';
import { at, CLASS, isAlnum, isDigit, nextDigit, V6 } from './chars.js';
import type { Detector } from './types.js';

const T = CLASS;
const V6C = V6;

export const ipv4: Detector = {
  id: 'ipv4',
  kind: 'pii',
  needs: 'digit',
  description: 'IPv4 addresses (dotted quads, octets 0-255, not inside a longer dotted run)',
  scan(text, found) {
    const n = text.length;
    let i = 0;
    while (i < n) {
      i = nextDigit(text, i);
      if (i < 0) return;
      // The whole dotted run of digits from here.
      let j = i;
      let parts = 0;
      let ok = true;
      for (;;) {
        const s = j;
        while (j < n && isDigit(text.charCodeAt(j))) j++;
        const len = j - s;
        parts++;
        if (len > 3 || (len > 1 && text.charCodeAt(s) === 48) || Number(text.slice(s, j)) > 255) ok = false;
        if (text.charCodeAt(j) === 46 && isDigit(at(text, j + 1))) j++;
        else break;
      }
      const prev = at(text, i - 1);
      const next = at(text, j);
      if (ok && parts === 4 && !isAlnum(prev) && prev !== 46 && prev !== 95 && !isAlnum(next) && next !== 95) found(i, j);
      i = j;
    }
  },
};

/** The longest textual IPv6 address (with an IPv4 tail) is 45 characters. */
const MAX_V6 = 45;

export const ipv6: Detector = {
  id: 'ipv6',
  kind: 'pii',
  needs: 'colon',
  description: 'IPv6 addresses, full or compressed, checked by node:net',
  scan(text, found) {
    let from = 0;
    for (;;) {
      const colon = text.indexOf(':', from);
      if (colon < 0) return;
      // The maximal run of address characters around this colon.
      let s = colon;
      while (s > from && ((T[text.charCodeAt(s - 1)] as number) & V6C) !== 0) s--;
      let e = colon + 1;
      let colons = 1;
      let digit = false;
      while (e < text.length && ((T[text.charCodeAt(e)] as number) & V6C) !== 0) {
        const c = text.charCodeAt(e);
        if (c === 58) colons++;
        e++;
      }
      for (let k = s; k < e && !digit; k++) digit = isDigit(text.charCodeAt(k));
      // A trailing dot or single colon ends a sentence or a label, not the address.
      let end = e;
      while (end > s && text.charCodeAt(end - 1) === 46) end--;
      if (end > s + 1 && text.charCodeAt(end - 1) === 58 && text.charCodeAt(end - 2) !== 58) end--;
      const prev = at(text, s - 1);
      const next = at(text, e);
      if (colons >= 2 && digit && end - s <= MAX_V6 && !isAlnum(prev) && prev !== 95 && !isAlnum(next) && next !== 95 && isIPv6(text.slice(s, end))) {
        found(s, end);
      }
      from = e > colon ? e : colon + 1;
    }
  },
};
