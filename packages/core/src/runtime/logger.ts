/**
 * Where Bulwark writes what is neither a decision nor telemetry: warnings about risky
 * configurations (a per-process store behind replicas, budgets on self-asserted identities) and
 * notes from construction. Libraries never write to the console; they call this. The default sends
 * warnings through `process.emitWarning` (type `BulwarkWarning`, with the warning's code), which a
 * Node process prints once per line and an application can intercept; pass your own (pino's
 * `logger.warn.bind(logger)` fits) through the pipeline or factory options. Every line goes
 * through the telemetry scrubber first (see redaction/scrub.ts), whichever logger receives it.
 */
import { scrubText } from '../redaction/scrub.js';

/** Fields of a log line. Never raw inputs, secrets or scores. */
export type LogFields = { readonly code?: string } & Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  /** A risky-but-legal configuration, or a degraded state. `fields.code` names it (e.g. `BULWARK_LOCAL_STORE`). */
  warn(message: string, fields?: LogFields): void;
  /** Something worth knowing at start-up. */
  info(message: string, fields?: LogFields): void;
}

function scrubFields(fields: LogFields | undefined): LogFields | undefined {
  if (fields === undefined) return undefined;
  let out: Record<string, string | number | boolean | undefined> | undefined;
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v !== 'string') continue;
    const s = scrubText(v);
    if (s === v) continue;
    out ??= { ...fields };
    out[k] = s;
  }
  return (out ?? fields) as LogFields;
}

const SCRUBBED = Symbol.for('bulwark.scrubbed-logger');

/** The logger with every message and string field scrubbed of personal data and secrets. */
export function scrubbingLogger(logger: Logger): Logger {
  if ((logger as unknown as Record<symbol, unknown>)[SCRUBBED] === true) return logger;
  return Object.freeze({
    [SCRUBBED]: true,
    warn: (message: string, fields?: LogFields) => logger.warn(scrubText(message), scrubFields(fields)),
    info: (message: string, fields?: LogFields) => logger.info(scrubText(message), scrubFields(fields)),
  });
}

export const processLogger: Logger = scrubbingLogger({
  warn(message: string, fields?: LogFields) {
    process.emitWarning(message, { type: 'BulwarkWarning', ...(fields?.code === undefined ? {} : { code: fields.code }) });
  },
  info() {},
});
