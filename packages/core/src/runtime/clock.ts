/**
 * Time. The pipeline and every guard read time through a `Clock`, injectable (pipeline option
 * `clock`, factory context) so that windows, decay and expiry are testable without waiting.
 * Stores that share state between replicas take time from the shared server instead (see
 * stores/types.ts): a replica's clock is never trusted for a shared decision.
 */
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Wall-clock time, ms since the Unix epoch. */
  now(): number;
  /** A monotonic time in ms, for durations only (never goes back). */
  monotonic(): number;
}

export const systemClock: Clock = Object.freeze({
  now: Date.now,
  monotonic: () => performance.now(),
});
