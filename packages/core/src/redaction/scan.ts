/**
 * Finding and masking personal data and secrets in one string: normalise (../normalize.ts), run
 * every detector on the normalised text, keep the leftmost match where two overlap (the longer at
 * the same start; then the detector listed first), and replace the original characters behind
 * each match according to its detector's strategy.
 */
import { createHmac } from 'node:crypto';
import type { Detector, Need } from './detectors/types.js';
import { type NormalisedText, normalise, originalRange } from './normalize.js';

/**
 * What replaces a match: `remove` (nothing), `mask` (a fixed text, by default `[email]`),
 * `partial` (every letter and digit but the last four as `*`, separators kept), `hash` (a keyed
 * pseudonym, `[email:5f0c…]`: the same value always gives the same token, and the token reveals
 * nothing without the key).
 */
export type MaskStrategy = 'remove' | 'mask' | 'partial' | 'hash';

export interface Masking {
  /** Strategy per detector id; `default` for the rest. */
  readonly strategies: Readonly<Record<string, MaskStrategy>>;
  readonly defaultStrategy: MaskStrategy;
  /** The fixed mask; `{detector}` is replaced by the detector's id. */
  readonly maskText: string;
  /** HMAC key for `hash` (required when any strategy is `hash`). */
  readonly hashKey: Uint8Array | undefined;
}

export interface Match {
  readonly detector: Detector;
  /** Range in the normalised text. */
  readonly start: number;
  readonly end: number;
}

/** Texts up to this length are checked for what detectors need before any scan (longer ones: every detector scans). */
const PREFILTER_MAX = 4096;

/** Which needs (detectors/types.ts `Need`) `text` meets: one pass over it. */
export function featuresOf(text: string): Set<Need> {
  const f = new Set<Need>();
  let token = 0;
  let b64 = 0;
  let dashes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const isDigit = c >= 48 && c <= 57;
    const isLetter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (isDigit) f.add('digit');
    else if (c === 64) f.add('at');
    else if (c === 58) f.add('colon');
    dashes = c === 45 ? dashes + 1 : 0;
    if (dashes === 5) f.add('dashes');
    token = isDigit || isLetter || c === 95 || c === 45 ? token + 1 : 0;
    if (token === 12) f.add('token12');
    b64 = isDigit || isLetter || c === 95 || c === 45 || c === 43 || c === 47 || c === 61 ? b64 + 1 : 0;
    if (b64 === 32) f.add('b64-32');
  }
  return f;
}

/** Matches of every detector in normalised `text`, overlaps resolved, in order. */
export function findMatches(text: string, detectors: readonly Detector[]): Match[] {
  let all: Match[] = [];
  // A short text (a name, an id, a message) is usually missing what most detectors need: skip them.
  const features = text.length <= PREFILTER_MAX ? featuresOf(text) : undefined;
  for (const detector of detectors) {
    if (features !== undefined && detector.needs !== undefined && !features.has(detector.needs)) continue;
    detector.scan(text, (start, end) => all.push({ detector, start, end }));
  }
  if (all.length < 2) return all;
  // One detector's matches come in order and apart: nothing to sort or resolve.
  let ordered = true;
  for (let i = 1; i < all.length && ordered; i++) ordered = (all[i - 1] as Match).end <= (all[i] as Match).start;
  if (ordered) return all;
  const rank = new Map(detectors.map((d, i) => [d, i]));
  all = all.sort((a, b) => a.start - b.start || b.end - a.end || (rank.get(a.detector) as number) - (rank.get(b.detector) as number));
  const kept: Match[] = [];
  let until = -1;
  for (const m of all) {
    if (m.start < until) continue;
    kept.push(m);
    until = m.end;
  }
  return kept;
}

/** What one string became, and which detectors matched in it. */
export interface StringRedaction {
  readonly text: string;
  /** Detector id of each match, in order (empty when nothing matched; `text` is then the input). */
  readonly hits: readonly string[];
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * Redacts one string.
 *
 * @example
 * ```ts
 * redactString('mail jo@example.com', builtinDetectors, masking).text // 'mail [email]'
 * ```
 */
export function redactString(input: string, detectors: readonly Detector[], masking: Masking): StringRedaction {
  const found = locateMatches(input, detectors);
  if (found.length === 0) return { text: input, hits: NONE };
  const out: string[] = [];
  const hits: string[] = [];
  let last = 0;
  for (const m of found) {
    out.push(input.slice(last, m.from), replacement(m.detector.id, m.value, masking));
    hits.push(m.detector.id);
    last = m.to;
  }
  out.push(input.slice(last));
  return { text: out.join(''), hits };
}

/**
 * Where personal data and secrets are in `input` (original code units), overlaps resolved, in
 * order: normalised, scanned by every detector, mapped back.
 */
export function locateMatches(input: string, detectors: readonly Detector[]): Located[] {
  const norm = normalise(input);
  const found = located(norm, findMatches(norm.text, detectors), 0);
  if (norm.formatAt.length === 0) return found;
  // Zero-width characters either join a value or stand for its separators: around each one, the
  // text is read again with them as spaces (a window, not the whole text, so a stray zero-width
  // space costs a window's scan).
  for (const [from, to] of windowsAround(input, norm.formatAt)) {
    const spaced = normalise(input.slice(from, to), ' ');
    found.push(...located(spaced, findMatches(spaced.text, detectors), from));
  }
  return resolveOverlaps(found, detectors);
}

/** How far around a format character the second reading looks: longer than any grouped number, IBAN or address. */
const WINDOW = 96;

/** Merged windows around the positions, widened to whitespace so no value is cut at an edge that has room. */
function windowsAround(input: string, positions: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const p of positions) {
    let from = Math.max(0, p - WINDOW);
    let to = Math.min(input.length, p + WINDOW + 1);
    for (let k = 0; k < 32 && from > 0 && input.charCodeAt(from - 1) > 32; k++) from--;
    for (let k = 0; k < 32 && to < input.length && input.charCodeAt(to) > 32; k++) to++;
    const last = out[out.length - 1];
    if (last !== undefined && from <= last[1]) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

/** A match in the original text, with its normalised value. */
export interface Located {
  readonly detector: Detector;
  readonly from: number;
  readonly to: number;
  readonly value: string;
}

function located(norm: NormalisedText, matches: readonly Match[], offset: number): Located[] {
  return matches.map((m) => {
    const [from, to] = originalRange(norm, m.start, m.end);
    return { detector: m.detector, from: from + offset, to: to + offset, value: norm.text.slice(m.start, m.end) };
  });
}

function resolveOverlaps(all: Located[], detectors: readonly Detector[]): Located[] {
  const rank = new Map(detectors.map((d, i) => [d, i]));
  all.sort((a, b) => a.from - b.from || b.to - a.to || (rank.get(a.detector) as number) - (rank.get(b.detector) as number));
  const kept: Located[] = [];
  let until = -1;
  for (const m of all) {
    if (m.from < until) continue;
    kept.push(m);
    until = m.to;
  }
  return kept;
}

/** The text that stands for a detected value (given normalised). */
export function replacement(detector: string, value: string, masking: Masking, strategy = masking.strategies[detector] ?? masking.defaultStrategy): string {
  switch (strategy) {
    case 'remove':
      return '';
    case 'mask':
      return masking.maskText.replaceAll('{detector}', detector);
    case 'partial':
      return partial(value);
    case 'hash':
      return `[${detector}:${pseudonym(detector, value, masking.hashKey)}]`;
  }
}

/** Every letter and digit but the last four replaced by `*`; separators kept so the shape stays readable. */
export function partial(value: string): string {
  let keep = 4;
  const chars = [...value];
  for (let i = chars.length - 1; i >= 0; i--) {
    if (!/[\p{L}\p{N}]/u.test(chars[i] as string)) continue;
    if (keep > 0) keep--;
    else chars[i] = '*';
  }
  return chars.join('');
}

/**
 * A stable pseudonym: HMAC-SHA256 of the detector and the value in canonical form (separators and
 * case removed where they do not change the value), first 12 hex digits (48 bits). The same card
 * written `4111-1111-…` or `４１１１ １１１１ …` maps to the same token.
 */
export function pseudonym(detector: string, value: string, key: Uint8Array | undefined): string {
  if (key === undefined) throw new Error('redaction: the hash strategy needs a key');
  const canonical = /^(card|phone|ssn)$/.test(detector)
    ? value.replace(/\D/g, '')
    : /^(email|iban|ipv6)$/.test(detector)
      ? value.replace(/\s/g, '').toLowerCase()
      : value;
  return createHmac('sha256', key).update(detector).update('\0').update(canonical).digest('hex').slice(0, 12);
}
