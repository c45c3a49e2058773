/**
 * Finding and masking personal data and secrets in one string: normalise (../normalize.ts), run
 * every detector on the normalised text, keep the leftmost match where two overlap (the longer at
 * the same start; then the detector listed first), and replace the original characters behind
 * each match according to its detector's strategy.
 */
import { createHmac } from 'node:crypto';
import type { Detector } from './detectors/types.js';
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

/** Matches of every detector in normalised `text`, overlaps resolved, in order. */
export function findMatches(text: string, detectors: readonly Detector[]): Match[] {
  let all: Match[] = [];
  for (const detector of detectors) detector.scan(text, (start, end) => all.push({ detector, start, end }));
  if (all.length < 2) return all;
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
  const found = located(norm, findMatches(norm.text, detectors));
  if (!norm.hadFormat) return found;
  // Zero-width characters either join a value or stand for its separators: read both ways.
  const spaced = normalise(input, ' ');
  return resolveOverlaps([...found, ...located(spaced, findMatches(spaced.text, detectors))], detectors);
}

/** A match in the original text, with its normalised value. */
export interface Located {
  readonly detector: Detector;
  readonly from: number;
  readonly to: number;
  readonly value: string;
}

function located(norm: NormalisedText, matches: readonly Match[]): Located[] {
  return matches.map((m) => {
    const [from, to] = originalRange(norm, m.start, m.end);
    return { detector: m.detector, from, to, value: norm.text.slice(m.start, m.end) };
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
export function replacement(detector: string, value: string, masking: Masking): string {
  const strategy = masking.strategies[detector] ?? masking.defaultStrategy;
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
