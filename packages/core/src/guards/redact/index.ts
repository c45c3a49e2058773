/**
 * redact: personal data and secrets out of whatever a predict handler returns. Path rules
 * (allow, deny, skip, credential-named keys) and detectors (e-mail, phone, card, IBAN, SSN, IP,
 * API keys, JWTs, private keys, high-entropy tokens, your own patterns) over any JSON-like output,
 * with Unicode normalised for matching and the original characters masked. What was found is
 * counted on the decision by detector and path, never the values. See docs/redaction.md.
 */
import type { AttributeValue } from '@opentelemetry/api';
import { buildRedactor, type RedactionOptions, redactionSchema } from '../../redaction/options.js';
import type { RedactionReport } from '../../redaction/redactor.js';
import * as C from '../../telemetry/semconv.js';
import type { Guard } from '../../types.js';
import { defineGuard } from '../define.js';

export type RedactOptions = RedactionOptions;

/** The report as decision attributes: parallel arrays of detector, path and count. */
export function reportAttributes(report: RedactionReport): Record<string, AttributeValue> {
  const detectors: string[] = [];
  const paths: string[] = [];
  const counts: number[] = [];
  for (const [key, n] of report.counts) {
    const cut = key.indexOf('\u0000');
    detectors.push(key.slice(0, cut));
    paths.push(key.slice(cut + 1) || '(root)');
    counts.push(n);
  }
  return {
    [C.ATTR_REDACTION_TOTAL]: report.total,
    [C.ATTR_REDACTION_DROPPED]: report.dropped,
    [C.ATTR_REDACTION_DETECTORS]: detectors,
    [C.ATTR_REDACTION_PATHS]: paths,
    [C.ATTR_REDACTION_COUNTS]: counts,
  };
}

/**
 * Creates the redact guard.
 *
 * @example
 * ```ts
 * createBulwark({ guards: [redact({ deny: [{ path: 'cases.*.ssn', action: 'remove' }], strategies: { card: 'partial' } })] })
 * ```
 * @throws {ConfigError} on invalid options (a pattern the linear engine cannot run, a malformed path, hash without a key).
 */
export const redact = defineGuard({
  use: 'redact',
  description: 'Remove or mask personal data and secrets in outputs: path rules and linear-time detectors',
  schema: redactionSchema,
  create(o): Guard<unknown, unknown> {
    const { redactor } = buildRedactor(o, 'redact options');
    return {
      name: 'redact',
      afterInference(ctx) {
        const { value, report } = redactor.redact(ctx.output);
        if (report.total === 0 && report.dropped === 0) return undefined;
        return {
          action: 'modify',
          code: 'output_redacted',
          message: `redacted ${report.total} value(s), dropped ${report.dropped}`,
          value,
          attributes: reportAttributes(report),
        };
      },
    };
  },
});
