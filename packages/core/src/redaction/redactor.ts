/**
 * The redactor: path rules and detectors over any JSON-like value a predict handler returns.
 *
 *   deny     the value at a path is removed or masked whole, whatever it holds
 *   allow    when given, only values at these paths (and everything under them) leave
 *   skip     values at these paths are not scanned by detectors
 *   secret keys  values under keys named like credentials (`password`, `apiKey`, `db_token`) are masked whole
 *   detectors    every other string (and key, and long integer) is scanned; matches are masked
 *
 * Rules are compiled once; a redaction walks the value once and copies only what it changes (the
 * input is never modified). Counts go to telemetry by detector and by path, with array indices as
 * `*` and matched keys masked, never values.
 */
import type { Detector } from './detectors/types.js';
import { type CompiledPaths, compilePaths, type PathNode } from './paths.js';
import { type Masking, redactString, replacement, type StringRedaction } from './scan.js';

export interface RedactorConfig {
  readonly detectors: readonly Detector[];
  readonly masking: Masking;
  readonly allow?: readonly string[] | undefined;
  readonly deny?: readonly { readonly path: string; readonly action: Masking['defaultStrategy'] }[] | undefined;
  readonly skip?: readonly string[] | undefined;
  /** Mask values under keys named like credentials (default true). */
  readonly secretKeys?: boolean | undefined;
  /** Deeper values are replaced whole (default 64): a cyclic or hostile structure cannot make the walk unbounded. */
  readonly maxDepth?: number | undefined;
}

/** What a redaction found: counts by detector and path, never values. */
export interface RedactionReport {
  /** Matches and rule hits in all. */
  readonly total: number;
  /** `detector\u0000path` → count; at most `MAX_PATHS` distinct entries, the rest under path `(other)`. */
  readonly counts: ReadonlyMap<string, number>;
  /** Values dropped by the allow-list. */
  readonly dropped: number;
}

export interface Redactor {
  /** The redacted value (the input itself when nothing changed) and what was found. */
  redact(value: unknown): { readonly value: unknown; readonly report: RedactionReport };
  /** Redacts one string with the detectors only. */
  redactText(text: string): StringRedaction;
}

export const MAX_PATHS = 32;
const DROP = Symbol('drop');
const SECRET_KEY_SUFFIXES = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'privatekey',
  'authorization',
  'cookie',
  'sessionid',
  'credential',
  'credentials',
];

const secretKeyCache = new Map<string, boolean>();

/** Keys that name credentials: `password`, `db_password`, `apiKey`, `X-Auth-Token`, `client_secret`. */
export function isSecretKey(key: string): boolean {
  if (key.length > 64) return false;
  const cached = secretKeyCache.get(key);
  if (cached !== undefined) return cached;
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  let secret = false;
  for (const s of SECRET_KEY_SUFFIXES) if (k.endsWith(s)) secret = true;
  // Output keys repeat (they are a schema): remembered, a bounded number of them.
  if (secretKeyCache.size < 4096) secretKeyCache.set(key, secret);
  return secret;
}

/** A value as text for partial masks and pseudonyms: strings as they are, anything else as JSON where it can be. */
function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

/** Sets an own property, `__proto__` included (plain assignment would set the prototype). */
function setKey(o: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

function isLeafObject(v: object): boolean {
  return ArrayBuffer.isView(v) || v instanceof Date || v instanceof ArrayBuffer;
}

/**
 * Creates a redactor.
 *
 * @example
 * ```ts
 * const r = createRedactor({ detectors: builtinDetectors, masking, deny: [{ path: 'cases.*.ssn', action: 'remove' }] })
 * r.redact({ cases: [{ ssn: '…', note: 'call +44 20 7946 0958' }] }).value // { cases: [{ note: 'call [phone]' }] }
 * ```
 * @throws {PathError} on a malformed path.
 */
export function createRedactor(config: RedactorConfig): Redactor {
  const allow: CompiledPaths | undefined = config.allow && config.allow.length > 0 ? compilePaths(config.allow) : undefined;
  const deny: CompiledPaths | undefined = config.deny && config.deny.length > 0 ? compilePaths(config.deny.map((d) => d.path)) : undefined;
  const denyActions = (config.deny ?? []).map((d) => d.action);
  const skip: CompiledPaths | undefined = config.skip && config.skip.length > 0 ? compilePaths(config.skip) : undefined;
  const secretKeys = config.secretKeys !== false;
  const maxDepth = config.maxDepth ?? 64;
  const { detectors, masking } = config;

  const secretKeyStrategy = masking.strategies['secret-key'] ?? 'mask';
  /** Keys in which no detector found anything, remembered (bounded; nothing personal is kept: only clean keys). */
  const cleanKeys = new Set<string>();
  const scanKey = (key: string) => {
    if (detectors.length === 0 || cleanKeys.has(key)) return undefined;
    const r = redactString(key, detectors, masking);
    if (r.hits.length === 0 && cleanKeys.size < 4096 && key.length <= 128) cleanKeys.add(key);
    return r.hits.length === 0 ? undefined : r;
  };

  function redact(value: unknown): { value: unknown; report: RedactionReport } {
    const counts = new Map<string, number>();
    let total = 0;
    let dropped = 0;
    const count = (detector: string, path: readonly string[]) => {
      total++;
      let key = `${detector}\u0000${path.join('.')}`;
      if (!counts.has(key) && counts.size >= MAX_PATHS) key = `${detector}\u0000(other)`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    };
    const scanString = (s: string, path: readonly string[]): string => {
      if (detectors.length === 0) return s;
      const r = redactString(s, detectors, masking);
      for (const d of r.hits) count(d, path);
      return r.text;
    };
    /** A value replaced whole, by `strategy`. Only partial and hash read it (a BigInt or a cyclic object cannot make the guard throw). */
    const whole = (strategy: Masking['defaultStrategy'], detector: string, v: unknown, path: readonly string[]): unknown => {
      count(detector, path);
      if (strategy === 'remove') return DROP;
      return replacement(detector, strategy === 'mask' ? '' : textOf(v), masking, strategy);
    };
    // A node of `allow` (undefined: everything here is allowed), of `deny` and of `skip` (undefined: no rules).
    function walk(v: unknown, allowS: PathNode | undefined, denyS: PathNode | undefined, skipS: PathNode | undefined, path: string[], depth: number): unknown {
      if (denyS !== undefined && denyS.accepted >= 0) return whole(denyActions[denyS.accepted] as Masking['defaultStrategy'], 'redacted', v, path);
      let under = allowS;
      if (under !== undefined) {
        if (under.accepted >= 0) under = undefined;
        else if (under.dead) {
          dropped++;
          return DROP;
        }
      }
      const skipped = skipS !== undefined && skipS.accepted >= 0;
      if (typeof v === 'string') {
        if (under !== undefined) {
          dropped++;
          return DROP;
        }
        return skipped ? v : scanString(v, path);
      }
      if (typeof v === 'number' || typeof v === 'bigint') {
        if (under !== undefined) {
          dropped++;
          return DROP;
        }
        // Long integers may be card or phone numbers sent as JSON numbers.
        if (!skipped && (typeof v === 'bigint' || (Number.isSafeInteger(v) && Math.abs(v) >= 1e8))) {
          const s = String(v);
          const out = scanString(s, path);
          return out === s ? v : out;
        }
        return v;
      }
      if (typeof v !== 'object' || v === null) {
        if (under !== undefined) {
          dropped++;
          return DROP;
        }
        return v;
      }
      if (isLeafObject(v)) return under !== undefined ? DROP : v;
      if (depth >= maxDepth) return whole('mask', 'redacted', '', path);
      const stepAllow = (key: string) => (under === undefined || allow === undefined ? undefined : allow.step(under, key));
      const stepDeny = (key: string) => (denyS === undefined || deny === undefined ? undefined : deny.step(denyS, key));
      const stepSkip = (key: string) => (skipS === undefined || skip === undefined ? undefined : skip.step(skipS, key));
      if (Array.isArray(v)) {
        let out: unknown[] | undefined;
        for (let i = 0; i < v.length; i++) {
          const key = String(i);
          path.push('*');
          const r = walk(v[i], stepAllow(key), stepDeny(key), stepSkip(key), path, depth + 1);
          path.pop();
          if (r !== v[i] && out === undefined) out = v.slice(0, i);
          if (out !== undefined && r !== DROP) out.push(r);
        }
        if (out === undefined) return v;
        return under !== undefined && out.length === 0 ? DROP : out;
      }
      let out: Record<string, unknown> | undefined;
      const keys = Object.keys(v);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        const child = (v as Record<string, unknown>)[key];
        // Keys are data too (a map keyed by e-mail address): scanned, and masked in paths.
        const keyScan = scanKey(key);
        const shownKey = keyScan === undefined ? key : keyScan.text;
        path.push(shownKey);
        const denyNext = stepDeny(key);
        let r: unknown;
        if (secretKeys && under === undefined && isSecretKey(key) && !(denyNext !== undefined && denyNext.accepted >= 0)) {
          r = child === undefined || child === null || child === '' ? child : whole(secretKeyStrategy, 'secret-key', child, path);
        } else r = walk(child, stepAllow(key), denyNext, stepSkip(key), path, depth + 1);
        if (keyScan !== undefined) for (const d of keyScan.hits) count(d, path);
        path.pop();
        if ((r !== child || shownKey !== key) && out === undefined) {
          out = {};
          for (let k = 0; k < i; k++) setKey(out, keys[k] as string, (v as Record<string, unknown>)[keys[k] as string]);
        }
        if (out !== undefined && r !== DROP) setKey(out, shownKey, r);
      }
      if (out === undefined) return v;
      return under !== undefined && Object.keys(out).length === 0 ? DROP : out;
    }

    const result = walk(value, allow?.root, deny?.root, skip?.root, [], 0);
    return { value: result === DROP ? null : result, report: { total, counts, dropped } };
  }

  return { redact, redactText: (text) => redactString(text, detectors, masking) };
}
