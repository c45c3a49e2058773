/**
 * International bank account numbers: a country code, two check digits and the country's BBAN,
 * bare or in groups of four, of exactly the length that country uses, passing the ISO 7064
 * mod-97 check. The length table and the checksum are what keep ordinary codes out.
 */
import { at, CLASS, DIGIT, isAlnum, isDigit, LOWER, UPPER } from './chars.js';
import type { Detector } from './types.js';

const T = CLASS;
const DIG = DIGIT;
const LETTER = UPPER | LOWER;

/** IBAN length by country (the SWIFT IBAN registry). */
const LENGTHS: Readonly<Record<string, number>> = Object.assign(Object.create(null), {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
});

const upper = (c: number) => (c >= 97 && c <= 122 ? c - 32 : c);

export const iban: Detector = {
  id: 'iban',
  kind: 'pii',
  needs: 'digit',
  description: 'IBANs (country length and mod-97 checked), bare or grouped by four',
  scan(text, found) {
    const n = text.length;
    let i = 0;
    while (i + 4 <= n) {
      // Look for digit-digit first (rare in prose), then the two letters before it.
      while (i + 4 <= n && (((T[text.charCodeAt(i + 2)] as number) & DIG) === 0 || ((T[text.charCodeAt(i + 3)] as number) & DIG) === 0)) i++;
      if (i + 4 > n) return;
      const c0 = text.charCodeAt(i);
      if (((T[c0] as number) & LETTER) === 0 || ((T[text.charCodeAt(i + 1)] as number) & LETTER) === 0 || isAlnum(at(text, i - 1))) {
        i++;
        continue;
      }
      const length = LENGTHS[String.fromCharCode(upper(c0), upper(text.charCodeAt(i + 1)))];
      const end = length === undefined ? -1 : readIban(text, i, length);
      if (end > 0) {
        found(i, end);
        i = end;
      } else i++;
    }
  },
};

/** Reads `length` alphanumerics from `start`, allowing one space between groups of four; the end if valid, else -1. */
function readIban(text: string, start: number, length: number): number {
  const chars: number[] = [];
  let i = start;
  while (chars.length < length && i < text.length) {
    const c = text.charCodeAt(i);
    if (isAlnum(c)) {
      chars.push(upper(c));
      i++;
    } else if (c === 32 && chars.length % 4 === 0 && chars.length > 0 && isAlnum(at(text, i + 1))) i++;
    else break;
  }
  if (chars.length !== length || isAlnum(at(text, i))) return -1;
  // mod 97 of the rearranged number (BBAN, country, check digits), letters as 10..35, folded as we go.
  let rem = 0;
  for (let k = 0; k < length; k++) {
    const c = chars[(k + 4) % length] as number;
    if (isDigit(c)) rem = (rem * 10 + (c - 48)) % 97;
    else rem = (rem * 100 + (c - 55)) % 97;
  }
  return rem === 1 ? i : -1;
}
