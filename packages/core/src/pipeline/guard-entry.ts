/**
 * Validates guards once, at construction, into frozen entries the hot path reads without checks.
 */
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { AnyGuard, Decision, Guard, GuardMode } from '../types.js';

export interface GuardEntry {
  readonly guard: Guard<unknown, unknown>;
  readonly name: string;
  /** Effective mode after the pipeline's mode is applied. */
  readonly mode: GuardMode;
  readonly failOpen: boolean;
  readonly timeoutMs: number;
  /** Pre-built allow decisions, so an allowing guard allocates nothing. */
  readonly allowBefore: Decision;
  readonly allowAfter: Decision;
}

const NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export function buildEntries(guards: readonly AnyGuard[], pipelineMode: GuardMode, defaultTimeoutMs: number): GuardEntry[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  const entries: GuardEntry[] = [];
  guards.forEach((g, i) => {
    const path = `guards[${i}]`;
    if (typeof g !== 'object' || g === null) {
      issues.push({ path, rule: 'must be a guard object', received: String(g) });
      return;
    }
    if (typeof g.name !== 'string' || !NAME.test(g.name)) {
      issues.push({ path: `${path}.name`, rule: 'must be a kebab-case string', received: JSON.stringify(g.name) });
      return;
    }
    if (seen.has(g.name)) issues.push({ path: `${path}.name`, rule: 'must be unique in the pipeline', received: g.name });
    seen.add(g.name);
    for (const hook of ['beforeInference', 'afterInference', 'settle', 'close'] as const) {
      if (g[hook] !== undefined && typeof g[hook] !== 'function') {
        issues.push({ path: `${path}.${hook}`, rule: 'must be a function', received: typeof g[hook] });
      }
    }
    if (g.beforeInference === undefined && g.afterInference === undefined) {
      issues.push({ path, rule: 'must have beforeInference or afterInference', received: g.name });
    }
    if (g.mode !== undefined && g.mode !== 'enforce' && g.mode !== 'monitor') {
      issues.push({ path: `${path}.mode`, rule: 'must be "enforce" or "monitor"', received: JSON.stringify(g.mode) });
    }
    if (g.onError !== undefined && g.onError !== 'deny' && g.onError !== 'allow') {
      issues.push({ path: `${path}.onError`, rule: 'must be "deny" or "allow"', received: JSON.stringify(g.onError) });
    }
    const timeoutMs = g.timeoutMs ?? defaultTimeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      issues.push({ path: `${path}.timeoutMs`, rule: 'must be a positive number', received: String(timeoutMs) });
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
        allowBefore: allow('before'),
        allowAfter: allow('after'),
      }),
    );
  });
  if (issues.length > 0) throw new ConfigError(issues, 'createBulwark options');
  return entries;
}
