/**
 * E-mail addresses: a local part of letters, digits and `._%+-` (letters of any script: addresses
 * are internationalised), `@`, and a domain of at least two labels whose last (the TLD) is two or
 * more letters (or an IDN `xn--` label). Each `@` is examined once, looking left no further than
 * the previous `@` and right no further than the next, so the scan is linear however many `@` a
 * string holds.
 */
import { CLASS, isDigit, isLetter, LOCAL } from './chars.js';
import type { Detector } from './types.js';

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;

const T = CLASS;
const LOC = LOCAL;
/** Domains: the local part's characters but `_ % +`. */
const isDomain = (c: number) => ((T[c] as number) & LOC) !== 0 && c !== 95 && c !== 37 && c !== 43;

export const email: Detector = {
  id: 'email',
  kind: 'pii',
  needs: 'at',
  description: 'e-mail addresses (internationalised local parts and domains)',
  scan(text, found) {
    const n = text.length;
    let floor = 0;
    let atSign = text.indexOf('@');
    while (atSign >= 0) {
      let s = atSign;
      while (s > floor && ((T[text.charCodeAt(s - 1)] as number) & LOC) !== 0) s--;
      while (s < atSign && text.charCodeAt(s) === 46) s++; // a local part does not start with a dot
      let e = atSign + 1;
      while (e < n && isDomain(text.charCodeAt(e))) e++;
      while (e > atSign + 1 && (text.charCodeAt(e - 1) === 46 || text.charCodeAt(e - 1) === 45)) e--; // sentence punctuation
      if (s < atSign && atSign - s <= MAX_LOCAL && e - atSign - 1 <= MAX_DOMAIN && validDomain(text, atSign + 1, e)) {
        found(s, e);
        floor = e;
      } else floor = atSign + 1;
      // The domain scan stopped at the next '@' at the latest: no '@' is looked at twice.
      atSign = text.indexOf('@', atSign + 1);
    }
  },
};

function validDomain(text: string, s: number, e: number): boolean {
  if (e <= s) return false;
  let labelStart = s;
  let labels = 0;
  for (let i = s; i <= e; i++) {
    if (i < e && text.charCodeAt(i) !== 46) continue;
    if (i === labelStart || text.charCodeAt(labelStart) === 45 || text.charCodeAt(i - 1) === 45 || i - labelStart > 63) return false;
    labels++;
    if (i === e) {
      // The TLD: letters (any script), or an IDN label.
      if (text.startsWith('xn--', labelStart)) return i - labelStart > 4;
      if (i - labelStart < 2) return false;
      for (let k = labelStart; k < i; k++) {
        const c = text.charCodeAt(k);
        if (isDigit(c) || !(isLetter(c) || c > 127)) return false;
      }
    }
    labelStart = i + 1;
  }
  return labels >= 2;
}
