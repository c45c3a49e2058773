/**
 * The redaction options shared by the `redact` guard, `bulwark redact` and the telemetry scrubber:
 * one schema (defaults and docs in it), one builder from parsed options to a redactor.
 */
import { ConfigError } from '../errors.js';
import { type Infer, s } from '../policy/schema.js';
import { BUILTIN_DETECTOR_IDS, builtinDetectors } from './detectors/index.js';
import type { Detector } from './detectors/types.js';
import { PathError } from './paths.js';
import { compilePattern, PatternError } from './pattern.js';
import { createRedactor, type Redactor } from './redactor.js';
import type { Masking, MaskStrategy } from './scan.js';

const STRATEGIES = ['remove', 'mask', 'partial', 'hash'] as const;
const strategy = s.enumOf(STRATEGIES);
const ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export const redactionSchema = s.object({
  detectors: s.doc(
    s.default(s.array(s.enumOf(BUILTIN_DETECTOR_IDS as [string, ...string[]]), { maxItems: 64 }), [...BUILTIN_DETECTOR_IDS]),
    'built-in detectors to run (default: all of them; [] for path rules only)',
  ),
  custom: s.doc(
    s.default(
      s.array(
        s.object({
          id: s.string({ pattern: ID, rule: 'must be a kebab-case name', maxLength: 40 }),
          pattern: s.string({ maxLength: 1000 }),
          kind: s.default(s.enumOf(['pii', 'secret'] as const), 'pii'),
          ignoreCase: s.default(s.boolean(), false),
          maxLength: s.default(s.int({ min: 1, max: 4096 }), 256),
        }),
        { maxItems: 64 },
      ),
      [],
    ),
    'your own detectors: patterns run by the linear-time engine (docs/redaction.md, "User patterns")',
  ),
  strategy: s.doc(s.default(strategy, 'mask'), 'how a match is replaced: remove, mask (fixed text), partial (last four kept), hash (keyed pseudonym)'),
  strategies: s.doc(
    s.default(s.record(strategy, { key: ID, keyRule: 'must be a detector id', maxEntries: 128 }), {}),
    'strategy per detector id, and `secret-key` for credential-named keys (a deny rule takes its own action)',
  ),
  maskText: s.doc(s.default(s.string({ maxLength: 100 }), '[{detector}]'), 'the fixed mask; {detector} is replaced by the detector id'),
  secret: s.doc(
    s.optional(s.string({ maxLength: 1024 })),
    'HMAC key of the hash strategy (default: env BULWARK_REDACT_SECRET); required when any strategy is hash',
  ),
  allow: s.doc(s.optional(s.array(s.string({ maxLength: 512 }), { maxItems: 256 })), 'when set, only values at these paths leave'),
  deny: s.doc(
    s.default(s.array(s.object({ path: s.string({ maxLength: 512 }), action: s.default(strategy, 'remove') }), { maxItems: 256 }), []),
    'values removed or masked whole, at these paths',
  ),
  skip: s.doc(s.default(s.array(s.string({ maxLength: 512 }), { maxItems: 256 }), []), 'paths whose values detectors do not scan'),
  secretKeys: s.doc(s.default(s.boolean(), true), 'mask whole values under keys named like credentials (password, apiKey, db_token …)'),
});

export type RedactionOptions = Infer<typeof redactionSchema>;

/** The key of the hash strategy: at least 16 bytes, so pseudonyms cannot be reversed by trying values. */
function hashKeyOf(secret: string | undefined): Uint8Array | undefined {
  if (secret === undefined) return undefined;
  const key = new TextEncoder().encode(secret);
  return key;
}

/**
 * Builds the detectors, masking and redactor of parsed options.
 *
 * @throws {ConfigError} for a custom pattern the linear engine cannot run, a malformed path, an
 * unknown detector in `strategies`, or the hash strategy without a key of 16+ bytes.
 */
export function buildRedactor(
  o: RedactionOptions,
  where: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { redactor: Redactor; detectors: readonly Detector[]; masking: Masking } {
  const issues: { path: string; rule: string; received: string }[] = [];
  const detectors: Detector[] = builtinDetectors.filter((d) => o.detectors.includes(d.id));
  o.custom.forEach((c, i) => {
    if (BUILTIN_DETECTOR_IDS.includes(c.id) || o.custom.findIndex((x) => x.id === c.id) !== i) {
      issues.push({ path: `custom[${i}].id`, rule: 'must differ from the built-in detectors and the other custom ones', received: JSON.stringify(c.id) });
      return;
    }
    try {
      const compiled = compilePattern(c.pattern, { ignoreCase: c.ignoreCase, maxLength: c.maxLength });
      detectors.push({ id: c.id, kind: c.kind, description: `custom pattern /${c.pattern}/`, scan: compiled.scan });
    } catch (err) {
      if (!(err instanceof PatternError)) throw err;
      issues.push({ path: `custom[${i}].pattern`, rule: err.message, received: 'see rule' });
    }
  });
  const known = new Set([...detectors.map((d) => d.id), 'secret-key']);
  for (const id of Object.keys(o.strategies)) {
    if (!known.has(id)) issues.push({ path: `strategies.${id}`, rule: `must name a detector in use (${[...known].join(', ')})`, received: JSON.stringify(id) });
  }
  const usesHash = o.strategy === 'hash' || Object.values(o.strategies).includes('hash') || o.deny.some((d) => d.action === 'hash');
  const hashKey = hashKeyOf(o.secret ?? env.BULWARK_REDACT_SECRET);
  if (usesHash && (hashKey === undefined || hashKey.length < 16)) {
    // Never a random per-process key: pseudonyms would silently differ between replicas and restarts.
    issues.push({
      path: 'secret',
      rule: 'the hash strategy needs a key of 16+ bytes (option secret, or env BULWARK_REDACT_SECRET)',
      received: hashKey === undefined ? 'none' : 'a short key',
    });
  }
  const masking: Masking = { strategies: o.strategies as Record<string, MaskStrategy>, defaultStrategy: o.strategy, maskText: o.maskText, hashKey };
  let redactor: Redactor | undefined;
  if (issues.length === 0) {
    try {
      redactor = createRedactor({ detectors, masking, allow: o.allow, deny: o.deny, skip: o.skip, secretKeys: o.secretKeys });
    } catch (err) {
      if (!(err instanceof PathError)) throw err;
      issues.push({ path: 'allow/deny/skip', rule: err.message, received: 'see rule' });
    }
  }
  if (issues.length > 0 || redactor === undefined) throw new ConfigError(issues, where);
  return { redactor, detectors, masking };
}
