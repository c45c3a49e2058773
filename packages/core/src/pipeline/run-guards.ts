/**
 * Running guard hooks: one hook call turned into a recorded decision and, in enforce mode, an
 * applied verdict; and the settle hooks at the end of a call. Synchronous hooks complete without a
 * promise (a guard then costs a function call); asynchronous ones get the guard's timeout.
 */
import { BulwarkError } from '../errors.js';
import { scrubAttributes, scrubText } from '../redaction/scrub.js';
import type { Clock } from '../runtime/clock.js';
import type { Instrumentation, SpanRef } from '../telemetry/instrumentation.js';
import type { Decision, DecisionInfo, GuardVerdict, ModelDescriptor } from '../types.js';
import { isThenable } from '../util/timeout.js';
import { type CallContext, headersOf } from './context.js';
import type { GuardEntry } from './guard-entry.js';
import { checkVerdict, GuardTimeoutError } from './verdict.js';

type Ctx = CallContext<unknown, unknown>;

/** The settle outcome of every call that went out whole (one object, not one per call). */
const RELEASED = Object.freeze({ released: true, error: undefined });

export interface GuardRunner {
  /** Runs one hook of one guard; returns a promise only when the hook was asynchronous. */
  step(e: GuardEntry, phase: 'before' | 'after', ctx: Ctx, span: SpanRef): Promise<void> | undefined;
  /** Runs the settle hooks in reverse order; returns a promise only when one was asynchronous. */
  settleAll(ctx: Ctx, span: SpanRef, failure: BulwarkError | undefined): Promise<void> | undefined;
}

export function createGuardRunner(
  telemetry: Instrumentation,
  model: ModelDescriptor,
  clock: Clock,
  onDecision: ((decision: Decision, call: DecisionInfo) => void) | undefined,
): GuardRunner {
  function record(ctx: Ctx, span: SpanRef, d: Decision, ms: number | undefined): void {
    ctx.decisions.push(d);
    telemetry.decision(span, d, ms);
    if (onDecision !== undefined && d.action !== 'allow') {
      try {
        onDecision(d, { requestId: ctx.requestId, principalHash: ctx.principal.hash, model, queries: ctx.queries });
      } catch {
        // A logging hook must not change the result.
      }
    }
  }

  /** A verdict turned into a decision and, in enforce mode, applied to the call. */
  function apply(e: GuardEntry, phase: 'before' | 'after', ctx: Ctx, span: SpanRef, verdict: GuardVerdict<unknown> | undefined, ms: number): void {
    if (ctx.timing) telemetry.guardDuration(e.durationAttributes[phase], ms / 1000);
    const enforce = e.mode === 'enforce';
    if (verdict === undefined || verdict.action === 'allow') {
      if (verdict?.headers !== undefined) ctx.addHeaders(verdict);
      if (verdict?.signals !== undefined) {
        if (enforce) for (const w of verdict.signals) ctx.setSignal(w.key, w.value);
        record(ctx, span, { ...(phase === 'before' ? e.allowBefore : e.allowAfter), signals: verdict.signals, enforced: enforce }, ms);
        return;
      }
      record(ctx, span, phase === 'before' ? e.allowBefore : e.allowAfter, ms);
      return;
    }
    const enforced = enforce && verdict.action !== 'flag';
    if (verdict.headers !== undefined && verdict.action !== 'deny') ctx.addHeaders(verdict);
    // Signals take effect when the guard enforces, whatever the action: a detector's flag raises risk.
    if (enforce && verdict.signals !== undefined) for (const w of verdict.signals) ctx.setSignal(w.key, w.value);
    record(
      ctx,
      span,
      {
        guard: e.name,
        phase,
        action: verdict.action,
        // What a guard writes may quote what it saw: scrubbed once, here, upstream of spans,
        // metrics, decision logs and error bodies.
        code: scrubText(verdict.code),
        message: scrubText(verdict.message),
        enforced,
        attributes: verdict.attributes === undefined ? undefined : scrubAttributes(verdict.attributes),
        signals: verdict.signals,
      },
      ms,
    );
    if (!enforce) return;
    if (verdict.action === 'deny') {
      throw new BulwarkError(scrubText(verdict.code), scrubText(verdict.message), {
        guard: e.name,
        status: verdict.status,
        retryAfterSeconds: verdict.retryAfterSeconds,
        headers: headersOf(verdict),
        path: verdict.path === undefined ? undefined : scrubText(verdict.path),
      });
    }
    if (verdict.action === 'modify') {
      ctx.modified = true;
      if (phase === 'before') ctx.input = verdict.value;
      else {
        ctx.output = verdict.value;
        if (verdict.disclosure !== undefined) ctx.disclosure = verdict.disclosure;
      }
    }
  }

  /** A hook that threw, timed out or returned garbage: fail closed, or open when configured. */
  function failed(e: GuardEntry, phase: 'before' | 'after', ctx: Ctx, span: SpanRef, err: unknown, ms: number): void {
    if (ctx.timing) telemetry.guardDuration(e.durationAttributes[phase], ms / 1000);
    const reason = err instanceof GuardTimeoutError ? 'timed out' : 'threw';
    if (e.failOpen) {
      record(
        ctx,
        span,
        { guard: e.name, phase, action: 'flag', code: 'guard_failed_open', message: `guard ${reason}; failing open as configured`, enforced: false },
        ms,
      );
      return;
    }
    record(ctx, span, { guard: e.name, phase, action: 'deny', code: 'guard_failure', message: `guard ${reason}; failing closed`, enforced: true }, ms);
    throw new BulwarkError('guard_failure', `guard "${e.name}" ${reason}`, { guard: e.name, cause: err });
  }

  const elapsed = (ctx: Ctx, t0: number): number => (ctx.timing ? clock.monotonic() - t0 : 0);

  function step(e: GuardEntry, phase: 'before' | 'after', ctx: Ctx, span: SpanRef): Promise<void> | undefined {
    // Queued before the hook runs: a hook that throws may still have reserved something.
    if (e.settleOn === phase) {
      if (ctx.toSettle === undefined) ctx.toSettle = [];
      ctx.toSettle.push(e);
    }
    // Durations are measured only when they go somewhere (a metrics SDK or a recording span).
    const t0 = ctx.timing ? clock.monotonic() : 0;
    let raw: unknown;
    try {
      raw = phase === 'before' ? e.guard.beforeInference?.(ctx) : e.guard.afterInference?.(ctx);
    } catch (err) {
      failed(e, phase, ctx, span, err, elapsed(ctx, t0));
      return undefined;
    }
    if (!isThenable(raw)) {
      applyOrFail(e, phase, ctx, span, raw, t0);
      return undefined;
    }
    return e.deadlines
      .race(raw, () => new GuardTimeoutError(`guard "${e.name}" timed out after ${e.timeoutMs} ms`))
      .then(
        (v) => applyOrFail(e, phase, ctx, span, v, t0),
        (err: unknown) => failed(e, phase, ctx, span, err, elapsed(ctx, t0)),
      );
  }

  function applyOrFail(e: GuardEntry, phase: 'before' | 'after', ctx: Ctx, span: SpanRef, raw: unknown, t0: number): void {
    const ms = elapsed(ctx, t0);
    let verdict: GuardVerdict<unknown> | undefined;
    try {
      verdict = checkVerdict(raw, e.writes);
    } catch (err) {
      failed(e, phase, ctx, span, err, ms);
      return;
    }
    apply(e, phase, ctx, span, verdict, ms);
  }

  function settleFailed(ctx: Ctx, span: SpanRef, e: GuardEntry): void {
    record(
      ctx,
      span,
      { guard: e.name, phase: 'after', action: 'flag', code: 'guard_settle_failed', message: 'settle hook failed', enforced: false },
      undefined,
    );
  }

  /** Runs settle hooks in reverse order; their failures are recorded, never thrown. Synchronous hooks cost no promise. */
  function settleAll(ctx: Ctx, span: SpanRef, failure: BulwarkError | undefined): Promise<void> | undefined {
    const outcome = failure === undefined ? RELEASED : { released: false, error: { code: failure.code, guard: failure.guard } };
    const entries = ctx.toSettle ?? [];
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i] as GuardEntry;
      let r: unknown;
      try {
        r = e.guard.settle?.(ctx, outcome);
      } catch {
        settleFailed(ctx, span, e);
        continue;
      }
      if (isThenable(r)) {
        // From here on, asynchronously: the rest of the hooks wait for this one.
        return (async () => {
          try {
            await r;
          } catch {
            settleFailed(ctx, span, e);
          }
          for (let j = i - 1; j >= 0; j--) {
            const e2 = entries[j] as GuardEntry;
            try {
              await e2.guard.settle?.(ctx, outcome);
            } catch {
              settleFailed(ctx, span, e2);
            }
          }
        })();
      }
    }
    return undefined;
  }

  return { step, settleAll };
}
