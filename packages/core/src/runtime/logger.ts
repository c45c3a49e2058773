/**
 * Where Bulwark writes what is neither a decision nor telemetry: warnings about risky
 * configurations (a per-process store behind replicas, budgets on self-asserted identities) and
 * notes from construction. Libraries never write to the console; they call this. The default sends
 * warnings through `process.emitWarning` (type `BulwarkWarning`, with the warning's code), which a
 * Node process prints once per line and an application can intercept; pass your own (pino's
 * `logger.warn.bind(logger)` fits) through the pipeline or factory options.
 */

/** Fields of a log line. Never raw inputs, secrets or scores. */
export type LogFields = { readonly code?: string } & Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  /** A risky-but-legal configuration, or a degraded state. `fields.code` names it (e.g. `BULWARK_LOCAL_STORE`). */
  warn(message: string, fields?: LogFields): void;
  /** Something worth knowing at start-up. */
  info(message: string, fields?: LogFields): void;
}

export const processLogger: Logger = Object.freeze({
  warn(message: string, fields?: LogFields) {
    process.emitWarning(message, { type: 'BulwarkWarning', ...(fields?.code === undefined ? {} : { code: fields.code }) });
  },
  info() {},
});
