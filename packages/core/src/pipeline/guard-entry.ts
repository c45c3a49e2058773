/**
 * Validates guards once, at construction, into frozen entries the hot path reads without checks;
 * derives what the pipeline can release at most, and checks that every signal a guard reads is
 * written by a guard before it.
 */
import { asDisclosure, type Disclosure, RAW } from '../disclosure.js';
import { ConfigError, type ConfigIssueInput } from '../errors.js';
import type { SignalKey } from '../signals.js';
import { guardDurationAttributes } from '../telemetry/instrumentation.js';
import type { AnyGuard, Decision, Guard, GuardMode } from '../types.js';
import { DeadlineQueue } from '../util/timeout.js';

export interface GuardEntry {
  readonly guard: Guard<unknown, unknown>;
  readonly name: string;
  /** Effective mode after the pipeline's mode is applied. */
  readonly mode: GuardMode;
  readonly failOpen: boolean;
  readonly timeoutMs: number;
  /** Attributes of this guard's duration samples, per phase (built once). */
  readonly durationAttributes: ReturnType<typeof guardDurationAttributes>;
  /** The deadlines of this guard's asynchronous hooks, on one timer (not one per call). */
  readonly deadlines: DeadlineQueue;
  /** Pre-built allow decisions, so an allowing guard allocates nothing. */
  readonly allowBefore: Decision;
  readonly allowAfter: Decision;
  /** Ids of the signal keys this guard may write. */
  readonly writes: ReadonlySet<symbol>;
  /** Settle is queued by the first hook that runs: `before` when the guard has one, else `after`. */
  readonly settleOn: 'before' | 'after' | undefined;
}

const NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** How much a disclosure kind reveals, for combining caps along the chain of output guards. */
const RANK: Record<Disclosure['kind'], number> = { label: 0, 'top-k': 1, rounded: 2, noised: 2, raw: 3 };

export function buildEntries(guards: readonly AnyGuard[], pipelineMode: GuardMode, defaultTimeoutMs: number): GuardEntry[] {
  const issues: ConfigIssueInput[] = [];
  const seen = new Set<string>();
  const entries: GuardEntry[] = [];
  if (!Array.isArray(guards))
    throw new ConfigError([{ code: 'invalid_guard', path: 'guards', rule: 'must be an array of guards', received: typeof guards }], 'createBulwark options');
  guards.forEach((g, i) => {
    const path = `guards[${i}]`;
    const bad = (rule: string, at: string, received: string) => issues.push({ code: 'invalid_guard', path: at, rule, received });
    if (typeof g !== 'object' || g === null) {
      bad('must be a guard object', path, String(g));
      return;
    }
    if (typeof g.name !== 'string' || !NAME.test(g.name)) {
      bad('must be a kebab-case string', `${path}.name`, JSON.stringify(g.name)?.slice(0, 60) ?? String(g.name));
      return;
    }
    if (seen.has(g.name)) bad('must be unique in the pipeline', `${path}.name`, g.name);
    seen.add(g.name);
    for (const hook of ['beforeInference', 'afterInference', 'settle', 'close'] as const) {
      if (g[hook] !== undefined && typeof g[hook] !== 'function') bad('must be a function', `${path}.${hook}`, typeof g[hook]);
    }
    if (g.beforeInference === undefined && g.afterInference === undefined) bad('must have beforeInference or afterInference', path, g.name);
    if (g.mode !== undefined && g.mode !== 'enforce' && g.mode !== 'monitor') bad('must be "enforce" or "monitor"', `${path}.mode`, JSON.stringify(g.mode));
    if (g.onError !== undefined && g.onError !== 'deny' && g.onError !== 'allow')
      bad('must be "deny" or "allow"', `${path}.onError`, JSON.stringify(g.onError));
    const timeoutMs = g.timeoutMs ?? defaultTimeoutMs;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0)
      bad('must be a positive number', `${path}.timeoutMs`, String(timeoutMs));
    if (g.maxDisclosure !== undefined && asDisclosure(g.maxDisclosure) === undefined)
      bad('must be a disclosure descriptor', `${path}.maxDisclosure`, JSON.stringify(g.maxDisclosure));
    const writes = new Set<symbol>();
    for (const [list, which] of [
      [g.signals?.writes, 'writes'],
      [g.signals?.reads, 'reads'],
    ] as const) {
      if (list === undefined) continue;
      if (!Array.isArray(list) || !list.every(isSignalKey)) bad('must be an array of signal keys (createSignalKey)', `${path}.signals.${which}`, typeof list);
      else if (which === 'writes') for (const k of list) writes.add(k.id);
    }
    const allow = (phase: 'before' | 'after'): Decision =>
      Object.freeze({ guard: g.name, phase, action: 'allow', code: 'allow', message: 'allowed', enforced: false });
    entries.push(
      Object.freeze({
        guard: g as Guard<unknown, unknown>,
        name: g.name,
        mode: pipelineMode === 'monitor' ? 'monitor' : (g.mode ?? 'enforce'),
        failOpen: g.onError === 'allow',
        timeoutMs,
        deadlines: new DeadlineQueue(timeoutMs),
        durationAttributes: guardDurationAttributes(g.name),
        allowBefore: allow('before'),
        allowAfter: allow('after'),
        writes,
        settleOn: g.settle === undefined ? undefined : g.beforeInference !== undefined ? 'before' : 'after',
      }),
    );
  });
  if (issues.length === 0) checkSignalOrder(entries, issues);
  if (issues.length > 0) throw new ConfigError(issues, 'createBulwark options');
  return entries;
}

function isSignalKey(k: unknown): k is SignalKey<unknown> {
  return typeof k === 'object' && k !== null && typeof (k as SignalKey<unknown>).id === 'symbol' && typeof (k as SignalKey<unknown>).name === 'string';
}

/** A guard may read a signal only when it, or a guard before it, writes that signal. */
function checkSignalOrder(entries: readonly GuardEntry[], issues: ConfigIssueInput[]): void {
  const written = new Set<symbol>();
  entries.forEach((e, i) => {
    for (const key of e.guard.signals?.settles ?? []) {
      if (entries.some((x) => x.writes.has(key.id))) continue;
      issues.push({
        code: 'signal_order',
        path: `guards[${i}].signals.settles`,
        rule: `reads "${key.name}" in settle, which no guard writes`,
        received: e.name,
      });
    }
    for (const id of e.writes) written.add(id);
    for (const key of e.guard.signals?.reads ?? []) {
      if (written.has(key.id)) continue;
      const later = entries.findIndex((x, j) => j > i && x.writes.has(key.id));
      issues.push({
        code: 'signal_order',
        path: `guards[${i}].signals.reads`,
        rule:
          later === -1
            ? `reads "${key.name}", which no guard writes`
            : `reads "${key.name}" before "${entries[later]?.name}" (guards[${later}]) writes it: move the writer first`,
        received: e.name,
      });
    }
  });
}

/**
 * The most an answer can reveal: the least revealing cap among output guards that enforce and fail
 * closed (a later guard only post-processes what an earlier one let through). `raw` when none caps.
 */
export function maxDisclosureOf(entries: readonly GuardEntry[]): Disclosure {
  let cap: Disclosure = RAW;
  for (const e of entries) {
    const d = e.guard.maxDisclosure;
    if (d === undefined || e.mode !== 'enforce' || e.failOpen || e.guard.afterInference === undefined) continue;
    if (RANK[d.kind] <= RANK[cap.kind]) cap = d;
  }
  return cap;
}
