/**
 * Matching text as a detector should see it, with a way back to the original. Personal data hides
 * in Unicode: full-width or Arabic-Indic digits, a zero-width space splitting a card number, a
 * no-break space or an en dash as a separator, a Cyrillic "а" inside an e-mail address. Detectors
 * scan a normalised copy (ASCII where a character has an ASCII reading) and every match is mapped
 * back to the original code units, so what is masked is what the user wrote.
 *
 * One pass, one code point at a time (never a whole-string NFKC, whose output cannot be mapped back):
 *   format characters (Cf: zero-width space/joiners, soft hyphen, BOM, bidi marks)  dropped
 *   decimal digits of any script (Nd)                                                ASCII digit
 *   space separators (Zs) and dashes (Pd)                                            ' ' and '-'
 *   common Cyrillic and Greek letters that look Latin                                the Latin letter
 *   anything else outside ASCII                                                      its NFKC form
 * Strings of printable ASCII (most output) take a fast path and are not copied.
 */

/** First code point of every run of ten decimal digits in Unicode 15.1 (from \p{Nd}); a digit's value is its distance from the run's zero. */
const DIGIT_ZEROS = [
  0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946,
  0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10, 0x104a0, 0x10d30, 0x10d40, 0x11066,
  0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x116d0, 0x116da, 0x11730, 0x118e0, 0x11950, 0x11bf0, 0x11c50, 0x11d50, 0x11da0,
  0x11de0, 0x11f50, 0x16130, 0x16a60, 0x16ac0, 0x16b50, 0x16d70, 0x1ccf0, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e4f0, 0x1e5f1,
  0x1e950, 0x1fbf0,
];

/** Cyrillic and Greek letters that render like Latin ones (the confusables that matter for keys, domains and prefixes). */
const CONFUSABLES: Readonly<Record<number, string>> = (() => {
  const pairs = 'аaеeоoрpсcуyхxіiјjѕsԁdԛqԝwАAВBЕEЅSІIЈJКKМMНHОOРPСCТTХXΑAΒBΕEΖZΗHΙIΚKΜMΝNΟOΡPΤTΥYΧXοoνvαa';
  const map: Record<number, string> = Object.create(null);
  for (let i = 0; i < pairs.length; i += 2) map[pairs.charCodeAt(i)] = pairs[i + 1] as string;
  return map;
})();

const FORMAT = /^\p{Cf}$/u;
const DIGIT = /^\p{Nd}$/u;
const SPACE = /^\p{Zs}$/u;
const DASH = /^\p{Pd}$/u;

function digitValue(cp: number): number {
  let lo = 0;
  let hi = DIGIT_ZEROS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((DIGIT_ZEROS[mid] as number) <= cp) lo = mid;
    else hi = mid - 1;
  }
  const v = cp - (DIGIT_ZEROS[lo] as number);
  return v >= 0 && v <= 9 ? v : -1;
}

/** The ASCII (or NFKC) reading of one non-ASCII code point; '' to drop it. */
function readingOf(cp: number, ch: string): string {
  const confusable = CONFUSABLES[cp];
  if (confusable !== undefined) return confusable;
  if (FORMAT.test(ch)) return '';
  if (DIGIT.test(ch)) {
    const v = digitValue(cp);
    if (v >= 0) return String.fromCharCode(48 + v);
  }
  if (SPACE.test(ch)) return ' ';
  if (DASH.test(ch)) return '-';
  return ch.normalize('NFKC');
}

/** Readings are pure functions of the code point: the first few thousand seen are cached (bounded, whatever a caller sends). */
const readings = new Map<number, string>();
const MAX_CACHED_READINGS = 8192;

/**
 * Per code unit of the basic plane: 0 not yet seen, 1 reads as itself (copied with its run: most
 * letters of most scripts), 2 has another reading. Learnt on first sight; 64 KiB.
 */
const KIND = new Uint8Array(65536);
for (let c = 0x20; c <= 0x7e; c++) KIND[c] = 1;
KIND[0x09] = 1;
KIND[0x0a] = 1;
KIND[0x0d] = 1;

function readingOfUnit(cp: number): string {
  const cached = readings.get(cp);
  if (cached !== undefined) return cached;
  const reading = cp < 0x20 ? ' ' : readingOf(cp, String.fromCodePoint(cp));
  if (readings.size < MAX_CACHED_READINGS) readings.set(cp, reading);
  return reading;
}

/**
 * Normalised text and the way back: a list of segments, each either a run of characters copied
 * as they were (one to one) or the reading of one original character. Kept as segments rather
 * than a map per code unit, so that normalising a long text costs a copy and a few entries, not
 * two integers per character.
 */
export interface NormalisedText {
  readonly text: string;
  /** Start of each segment in `text`, increasing; undefined when `text` is the original. */
  readonly segStart: Int32Array | undefined;
  /** Original start of each segment. */
  readonly segFrom: Int32Array | undefined;
  /** Original end of a reading segment; -1 for a copied run. */
  readonly segTo: Int32Array | undefined;
  /** Original positions of the format characters (zero-width and the like) met, in order: see `normalise`'s `formatAs`. */
  readonly formatAt: readonly number[];
}

/** Anything but printable ASCII, tab and newlines. A single character class: the engine's own scan, linear and fast. */
const SPECIAL = /[^\x20-\x7e\t\n\r]/g;
const NONE: readonly number[] = Object.freeze([]);

/**
 * Normalises `s` for matching. A format character (zero-width space, joiner, soft hyphen) is
 * dropped (`formatAs: ''`: "41\u200b11" is one number) or read as a space (`' '`: "4111\u200b1111"
 * is two groups); the scanner tries both around each one, so neither reading hides a value.
 *
 * @example
 * ```ts
 * normalise('４１１１\u200b１１１１').text // '41111111'
 * ```
 */
export function normalise(s: string, formatAs: '' | ' ' = ''): NormalisedText {
  SPECIAL.lastIndex = 0;
  if (!SPECIAL.test(s)) return { text: s, segStart: undefined, segFrom: undefined, segTo: undefined, formatAt: NONE };
  const formatAt: number[] = [];
  const parts: string[] = [];
  let segStart = new Int32Array(64);
  let segFrom = new Int32Array(64);
  let segTo = new Int32Array(64);
  let segs = 0;
  let n = 0;
  const push = (from: number, to: number, length: number) => {
    if (segs === segStart.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      segStart = grow(segStart);
      segFrom = grow(segFrom);
      segTo = grow(segTo);
    }
    segStart[segs] = n;
    segFrom[segs] = from;
    segTo[segs++] = to;
    n += length;
  };
  let i = SPECIAL.lastIndex - 1; // the first character that is not plain ASCII
  let runStart = 0;
  const len = s.length;
  while (i < len) {
    // Extend the copied run over everything that reads as itself.
    let c = s.charCodeAt(i);
    let kind = KIND[c] as number;
    while (kind === 1) {
      if (++i >= len) break;
      c = s.charCodeAt(i);
      kind = KIND[c] as number;
    }
    if (i >= len) break;
    const astral = c >= 0xd800 && c <= 0xdbff && i + 1 < len;
    const cp = astral ? (s.codePointAt(i) as number) : c;
    const width = astral && cp > 0xffff ? 2 : 1;
    const reading = readingOfUnit(cp);
    if (kind === 0 && (c < 0xd800 || c > 0xdfff)) {
      // Learnt once per code unit; surrogates are never learnt (a pair reads differently from its halves).
      KIND[c] = reading.length === 1 && reading.charCodeAt(0) === c ? 1 : 2;
      if (KIND[c] === 1) continue; // reads as itself: part of the run after all
    } else if (width === 2 && reading === String.fromCodePoint(cp)) {
      i += 2;
      continue;
    }
    if (i > runStart) {
      push(runStart, -1, i - runStart);
      parts.push(s.slice(runStart, i));
    }
    let out = reading;
    if (out.length === 0) {
      formatAt.push(i);
      out = formatAs;
    }
    if (out.length > 0) {
      push(i, i + width, out.length);
      parts.push(out);
    }
    i += width;
    runStart = i;
  }
  if (len > runStart) {
    push(runStart, -1, len - runStart);
    parts.push(s.slice(runStart, len));
  }
  return { text: parts.join(''), segStart: segStart.subarray(0, segs), segFrom: segFrom.subarray(0, segs), segTo: segTo.subarray(0, segs), formatAt };
}

/** The segment holding normalised position `p`. */
function segmentOf(starts: Int32Array, p: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= p) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The original range [start, end) behind the normalised range [s, e) (e > s). */
export function originalRange(n: NormalisedText, s: number, e: number): [number, number] {
  const { segStart, segFrom, segTo } = n;
  if (segStart === undefined || segFrom === undefined || segTo === undefined) return [s, e];
  const a = segmentOf(segStart, s);
  const b = segmentOf(segStart, e - 1);
  const from = segTo[a] === -1 ? (segFrom[a] as number) + (s - (segStart[a] as number)) : (segFrom[a] as number);
  const to = segTo[b] === -1 ? (segFrom[b] as number) + (e - 1 - (segStart[b] as number)) + 1 : (segTo[b] as number);
  return [from, to];
}
