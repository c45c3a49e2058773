/**
 * Payment card numbers (PAN): 13-19 digits, bare or grouped as printed (4-4-4-4, 4-4-4-4-3, Amex
 * 4-6-5, Diners 4-6-4) with spaces or dashes, a known issuer prefix, and a valid Luhn checksum.
 * Other groupings of 3-8 digits
 * (a separator replaced by a zero-width character) are accepted too. The checksum is what separates a card from the many 16-digit numbers that are not one (order ids,
 * timestamps, numbers that fail it); a number that passes it and has a card prefix is treated as a
 * card, whatever it was meant to be: for a card, missing one costs more than masking an id.
 */
import { at, countChainDigits, isAlnum, isDigit, lastChain, luhn, nextDigit, readChain } from './chars.js';
import type { Detector } from './types.js';

/** Group layouts of printed card numbers. */
const LAYOUTS: readonly (readonly number[])[] = [
  [4, 4, 4, 4],
  [4, 4, 4, 4, 3],
  [4, 6, 5],
  [4, 6, 4],
];

/** Issuer prefixes (IIN ranges) of the card networks in use: Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro. */
function hasCardPrefix(text: string, start: number): boolean {
  const d = (k: number) => {
    let i = start;
    let v = 0;
    let got = 0;
    while (got < k && i < text.length) {
      const c = text.charCodeAt(i++);
      if (isDigit(c)) {
        v = v * 10 + (c - 48);
        got++;
      }
    }
    return v;
  };
  const one = d(1);
  const two = d(2);
  const four = d(4);
  if (one === 4) return true; // Visa
  if (two >= 51 && two <= 55) return true; // Mastercard
  if (four >= 2221 && four <= 2720) return true; // Mastercard 2-series
  if (two === 34 || two === 37) return true; // Amex
  if (two === 36 || two === 38 || two === 39 || (d(3) >= 300 && d(3) <= 305)) return true; // Diners
  if (four >= 3528 && four <= 3589) return true; // JCB
  if (one === 6) return true; // Discover, UnionPay, Maestro (6xxx)
  if (two === 50 || (two >= 56 && two <= 58)) return true; // Maestro
  return false;
}

const isCardSep = (c: number) => c === 32 || c === 45;

export const card: Detector = {
  id: 'card',
  kind: 'pii',
  needs: 'digit',
  description: 'payment card numbers (13-19 digits, bare or grouped, issuer prefix, Luhn-checked)',
  scan(text, found) {
    const n = text.length;
    let i = 0;
    while (i < n) {
      i = nextDigit(text, i);
      if (i < 0) return;
      // Fewer than 13 digits in the whole chain: no card in it.
      if (countChainDigits(text, i, isCardSep, 1, 13) < 13) {
        i = lastChain.end;
        continue;
      }
      const prev = at(text, i - 1);
      const chain = readChain(text, i, isCardSep, 1);
      const groups = chain.starts.length;
      const chainEnd = chain.ends[groups - 1] as number;
      // A chain glued to letters or to a decimal point is part of another token (a hex id, an amount).
      const glued = isAlnum(prev) || prev === 46 || prev === 95 || isAlnum(at(text, chainEnd)) || at(text, chainEnd) === 95;
      if (!glued) {
        let g = 0;
        while (g < groups) {
          const end = matchAt(text, chain.starts, chain.ends, chain.seps, g);
          if (end >= 0) {
            found(chain.starts[g] as number, chain.ends[end] as number);
            g = end + 1;
          } else g++;
        }
      }
      i = chainEnd;
    }
  },
};

/** The last group of a card that starts at group `g`, or -1. */
function matchAt(text: string, starts: number[], ends: number[], seps: number[], g: number): number {
  const len = (k: number) => (ends[k] as number) - (starts[k] as number);
  const first = len(g);
  if (first >= 13 && first <= 19) return valid(text, starts[g] as number, ends[g] as number) ? g : -1;
  for (const layout of LAYOUTS) {
    if (g + layout.length > starts.length) continue;
    let ok = true;
    const sep = g + 1 < starts.length ? seps[g] : -1;
    for (let k = 0; k < layout.length && ok; k++) {
      if (len(g + k) !== layout[k]) ok = false;
      else if (k > 0 && seps[g + k - 1] !== sep) ok = false; // one separator throughout, as printed
    }
    if (ok && valid(text, starts[g] as number, ends[g + layout.length - 1] as number)) return g + layout.length - 1;
  }
  // Any other grouping of 3-8 digits per group (a separator lost to a zero-width character, a
  // re-grouped number): 13-19 digits in all, still prefix- and Luhn-checked.
  let digits = 0;
  for (let h = g; h < starts.length && len(h) >= 3 && len(h) <= 8; h++) {
    digits += len(h);
    if (digits > 19) break;
    if (digits >= 13 && h > g && valid(text, starts[g] as number, ends[h] as number)) return h;
  }
  return -1;
}

function valid(text: string, start: number, end: number): boolean {
  return hasCardPrefix(text, start) && luhn(text, start, end);
}
