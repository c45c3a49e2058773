/**
 * Character tests shared by the scanners (on normalised text: ASCII for everything they look for).
 * Hot loops test a class table (`CLASS[c] & FLAG`) held in a module-level alias: one typed-array
 * read per character, where a call per character through a transpiler's live-binding getter (tsx,
 * vitest) cost 20-70 ns per character.
 */

export const DIGIT = 1;
export const UPPER = 2;
export const LOWER = 4;
export const HEX = 8;
/** Characters of tokens: keys, ids, base64url (letters, digits, `_`, `-`). */
export const TOKEN = 16;
/** Base64 and base64url (letters, digits, `+ / = _ -`). */
export const B64 = 32;
/** IPv6 text (hex digits, `:`, `.`). */
export const V6 = 64;
/** E-mail local part (letters, digits, `. _ % + -`, and any non-ASCII letter). */
export const LOCAL = 128;

/** Flags of every UTF-16 code unit (64 KiB, built once). */
export const CLASS: Uint8Array = (() => {
  const t = new Uint8Array(65536);
  for (let c = 48; c <= 57; c++) t[c] = DIGIT | HEX | TOKEN | B64 | V6 | LOCAL;
  for (let c = 65; c <= 90; c++) t[c] = UPPER | TOKEN | B64 | LOCAL | (c <= 70 ? HEX | V6 : 0);
  for (let c = 97; c <= 122; c++) t[c] = LOWER | TOKEN | B64 | LOCAL | (c <= 102 ? HEX | V6 : 0);
  for (const c of [95, 45]) t[c] = (t[c] as number) | TOKEN | B64 | LOCAL; // _ -
  for (const c of [43, 47, 61]) t[c] = (t[c] as number) | B64; // + / =
  for (const c of [43, 46, 37]) t[c] = (t[c] as number) | LOCAL; // + . %
  for (const c of [58, 46]) t[c] = (t[c] as number) | V6; // : .
  for (let c = 128; c < 65536; c++) t[c] = LOCAL;
  return t;
})();

export const isDigit = (c: number): boolean => c >= 48 && c <= 57;
export const isUpper = (c: number): boolean => c >= 65 && c <= 90;
export const isLower = (c: number): boolean => c >= 97 && c <= 122;
export const isLetter = (c: number): boolean => isUpper(c) || isLower(c);
export const isAlnum = (c: number): boolean => isDigit(c) || isLetter(c);
export const isHex = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
/** Characters of tokens: keys, ids, base64url. */
export const isTokenChar = (c: number): boolean => isAlnum(c) || c === 95 /* _ */ || c === 45; /* - */

/** One character class: the engine's own scan, linear and fast. */
const DIGIT_RE = /[0-9]/g;

/** Where the next digit at or after `from` is, or -1. */
export function nextDigit(text: string, from: number): number {
  DIGIT_RE.lastIndex = from;
  return DIGIT_RE.test(text) ? DIGIT_RE.lastIndex - 1 : -1;
}

/** The code at `i`, or -1 outside the text (so boundary tests need no length checks). */
export const at = (text: string, i: number): number => (i >= 0 && i < text.length ? text.charCodeAt(i) : -1);

/**
 * Luhn's checksum over the digits of `text[start, end)` (separators skipped): true when valid.
 * Cards, and the check that rejects most numbers that only look like cards.
 */
export function luhn(text: string, start: number, end: number): boolean {
  let sum = 0;
  let double = false;
  for (let i = end - 1; i >= start; i--) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) continue;
    let d = c - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Digit groups of a numeric chain, e.g. `4111 1111 1111 1111`: starts, ends, and separators between them. */
export interface DigitChain {
  /** Start and end (exclusive) of each group of digits. */
  readonly starts: number[];
  readonly ends: number[];
  /** The separator before group i (i ≥ 1): one character code, or -2 for several. */
  readonly seps: number[];
}

/**
 * Reads the chain of digit groups starting at `start` (a digit): groups joined by at most
 * `maxSep` characters for which `isSep` holds, stopping before separators not followed by a
 * digit. Returns the chain (valid until the next call).
 */
export function readChain(text: string, start: number, isSep: (c: number) => boolean, maxSep: number, maxGroups = 64): DigitChain {
  // One chain object, reused: scans are synchronous and read a chain before asking for the next.
  const { starts, ends, seps } = CHAIN;
  starts.length = 0;
  ends.length = 0;
  seps.length = 0;
  let i = start;
  const n = text.length;
  for (;;) {
    const s = i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    starts.push(s);
    ends.push(i);
    if (starts.length >= maxGroups) break;
    let j = i;
    while (j < n && j - i < maxSep && isSep(text.charCodeAt(j))) j++;
    if (j === i || j >= n || !isDigit(text.charCodeAt(j))) break;
    seps.push(j - i === 1 ? text.charCodeAt(i) : -2);
    i = j;
  }
  return CHAIN;
}

/**
 * The digits in the chain starting at `start`, counted without building it, up to `enough` (most
 * numbers in text are too short to be a card or a phone number, and are skipped on this count
 * alone). Where the count stopped is left in `lastChain.end`: the chain's end when it fell short.
 */
export function countChainDigits(text: string, start: number, isSep: (c: number) => boolean, maxSep: number, enough: number): number {
  const n = text.length;
  let i = start;
  let digits = 0;
  for (;;) {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      digits++;
      i++;
    }
    // Enough to be worth building: stop counting (counting on would read a long chain again and again).
    if (digits >= enough) break;
    let j = i;
    while (j < n && j - i < maxSep && isSep(text.charCodeAt(j))) j++;
    if (j === i || j >= n) break;
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57) break;
    i = j;
  }
  lastChain.end = i;
  return digits;
}

export const lastChain = { end: 0 };

const CHAIN: { starts: number[]; ends: number[]; seps: number[] } = { starts: [], ends: [], seps: [] };
