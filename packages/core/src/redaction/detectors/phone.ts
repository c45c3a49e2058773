/**
 * Telephone numbers, international and national formats:
 *   +44 20 7946 0958, +1 (415) 555-2671, +14155552671, 0044 20 7946 0958    8-15 digits (E.164)
 *   (415) 555-2671, 415-555-2671, 415.555.2671, 020 7946 0958, 07700 900123  10-11 digits, grouped
 * A bare run of digits without a `+` is not read as a phone number (ids and Unix timestamps are
 * runs of 10 digits), nor is anything with the shape of a date (2024-01-15 10), a time (followed
 * by `:`), an amount with thousands groups (12 345 678 901), an IPv4 address or an ISBN (groups of
 * one digit).
 */
import { at, countChainDigits, isAlnum, isDigit, lastChain, readChain } from './chars.js';
import type { Detector } from './types.js';

/** Space, dash, dot, parentheses and slash join the groups of a printed number. */
const isPhoneSep = (c: number) => c === 32 || c === 45 || c === 46 || c === 40 || c === 41 || c === 47;
/** Where a number can start: a digit, '+' or '('. */
const NEXT_START = /[0-9+(]/g;

export const phone: Detector = {
  id: 'phone',
  kind: 'pii',
  needs: 'digit',
  description: 'telephone numbers: international (+, 00) with 8-15 digits, national grouped formats with 10-11',
  scan(text, found) {
    const n = text.length;
    let i = 0;
    while (i < n) {
      NEXT_START.lastIndex = i;
      if (!NEXT_START.test(text)) return;
      i = NEXT_START.lastIndex - 1;
      const c = text.charCodeAt(i);
      // A number starts at '+' or '(' before a digit, or at a digit.
      let start = -1;
      let digitsAt = i;
      if (isDigit(c)) start = i;
      else if ((c === 43 || c === 40) && isDigit(at(text, i + 1))) {
        start = i;
        digitsAt = i + 1;
      }
      if (start < 0) {
        i++;
        continue;
      }
      // Fewer than 8 digits in the whole chain: no phone number in it.
      if (countChainDigits(text, digitsAt, isPhoneSep, 2, 8) < 8) {
        i = lastChain.end > i ? lastChain.end : i + 1;
        continue;
      }
      const prev = at(text, start - 1);
      const chain = readChain(text, digitsAt, isPhoneSep, 2, 12);
      const groups = chain.starts.length;
      const end = chain.ends[groups - 1] as number;
      // Extend over a closing parenthesis of an area code written last: "(0)" styles are covered by the chain itself.
      const next = at(text, end);
      const glued = isAlnum(prev) || prev === 46 || prev === 45 || prev === 95 || prev === 47 || isAlnum(next) || next === 95 || next === 58 /* : time */;
      if (!glued && isPhone(text, c === 43, c === 40, chain)) found(start, end);
      i = end > i ? end : i + 1;
    }
  },
};

function isPhone(text: string, plus: boolean, paren: boolean, chain: ReturnType<typeof readChain>): boolean {
  const { starts, ends, seps } = chain;
  const groups = starts.length;
  const len = (k: number) => (ends[k] as number) - (starts[k] as number);
  let digits = 0;
  for (let k = 0; k < groups; k++) digits += len(k);
  const onlyDots = seps.length > 0 && seps.every((c) => c === 46);

  if (plus) {
    // E.164: at most 15 digits; a country code of 1-3 digits (4 when written together with the area code).
    if (digits < 8 || digits > 15 || (groups > 1 && len(0) > 4)) return false;
    return !(onlyDots && groups === 4);
  }
  if (groups > 1 && len(0) >= 3 && len(0) <= 5 && text.startsWith('00', starts[0] as number)) {
    // The international prefix 00 in place of '+': 0044 20 7946 0958.
    return digits - 2 >= 8 && digits - 2 <= 15 && !(onlyDots && groups === 4);
  }
  if (groups === 1) return false; // a bare run of digits: an id, a timestamp
  if (digits < 10 || digits > 11) return false;
  for (let k = 0; k < groups; k++) if (len(k) < 2 || len(k) > 6) return false; // ISBNs have one-digit groups
  // Dates and times: 2024-01-15 10, 2024.01.15.1030
  if (len(0) === 4 && groups >= 3 && len(1) === 2 && len(2) === 2) {
    const y = Number(text.slice(starts[0] as number, ends[0] as number));
    const m = Number(text.slice(starts[1] as number, ends[1] as number));
    if (y >= 1900 && y <= 2199 && m >= 1 && m <= 12) return false;
  }
  // Amounts with thousands groups: 12 345 678 901, 1.234.567.890
  if (len(0) <= 3 && groups >= 3) {
    let thousands = true;
    for (let k = 1; k < groups; k++) if (len(k) !== 3) thousands = false;
    if (thousands && !paren) return false;
  }
  // Dotted quads are addresses, not numbers.
  if (onlyDots && groups === 4) return false;
  // Two groups only with a trunk prefix (07700 900123) or an area code in parentheses.
  if (groups === 2 && !paren && text.charCodeAt(starts[0] as number) !== 48) return false;
  return true;
}
