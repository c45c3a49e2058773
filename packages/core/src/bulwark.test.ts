import { describe, expect, it } from 'vitest';
import { createBulwark } from './bulwark.js';
import { BulwarkError, isBulwarkError } from './errors.js';
import type { AnyGuard, Guard, Prediction } from './types.js';

const model = (rows: number[][]): Prediction[] => rows.map((r) => ({ label: r[0] ?? 0, scores: [0.25, 0.75] }));
const P = { principal: 'user-1' };

async function rejection(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e as import('./errors.js').BulwarkError;
  }
  throw new Error('expected a rejection');
}

describe('createBulwark / wrap', () => {
  it('passes through with no guards and records nothing but the output', async () => {
    const g = createBulwark().wrap(model);
    const r = await g.run([[1, 2]], P);
    expect(r.output).toEqual([{ label: 1, scores: [0.25, 0.75] }]);
    expect(r.decisions).toEqual([]);
    expect(r.disclosure).toEqual({ kind: 'raw' });
    expect(r.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('runs before hooks in order, then the model, then after hooks in order', async () => {
    const log: string[] = [];
    const mk = (name: string): Guard => ({
      name,
      beforeInference: () => void log.push(`${name}:before`),
      afterInference: () => void log.push(`${name}:after`),
    });
    await createBulwark({ guards: [mk('a'), mk('b')] }).wrap((x: number[][]) => {
      log.push('model');
      return model(x);
    })([[0]], P);
    expect(log).toEqual(['a:before', 'b:before', 'model', 'a:after', 'b:after']);
  });

  it('counts a batch of N rows as N queries', async () => {
    let seen = 0;
    const counter: Guard = {
      name: 'counter',
      beforeInference: (ctx) => {
        seen = ctx.queries;
      },
    };
    await createBulwark({ guards: [counter] }).wrap(model)([[1], [2], [3]], P);
    expect(seen).toBe(3);
  });

  it('enforce: a deny verdict refuses with its code and status, and the model is not called', async () => {
    let called = false;
    const deny: Guard = { name: 'deny-all', beforeInference: () => ({ action: 'deny', code: 'rate_limited', message: 'slow down', retryAfterSeconds: 3 }) };
    const e = await rejection(
      createBulwark({ guards: [deny] }).wrap((x: number[][]) => {
        called = true;
        return model(x);
      })([[1]], P),
    );
    expect(isBulwarkError(e)).toBe(true);
    expect(e.code).toBe('rate_limited');
    expect(e.status).toBe(429);
    expect(e.retryAfterSeconds).toBe(3);
    expect(e.guard).toBe('deny-all');
    expect(called).toBe(false);
  });

  it('monitor: deny and modify are recorded with enforced=false and change nothing', async () => {
    const deny: Guard = { name: 'deny-all', beforeInference: () => ({ action: 'deny', code: 'anomalous_input', message: 'odd' }) };
    const mod: Guard<unknown, Prediction[]> = {
      name: 'blank',
      afterInference: () => ({ action: 'modify', code: 'blanked', message: 'x', value: [], disclosure: { kind: 'label' } }),
    };
    const r = await createBulwark({ guards: [deny, mod], mode: 'monitor' })
      .wrap(model)
      .run([[1]], P);
    expect(r.output).toEqual([{ label: 1, scores: [0.25, 0.75] }]);
    expect(r.disclosure).toEqual({ kind: 'raw' });
    expect(r.decisions.map((d) => [d.guard, d.action, d.enforced])).toEqual([
      ['deny-all', 'deny', false],
      ['blank', 'modify', false],
    ]);
  });

  it('per-guard monitor mode leaves the other guards enforcing', async () => {
    const deny: Guard = { name: 'shadow', mode: 'monitor', beforeInference: () => ({ action: 'deny', code: 'forbidden', message: 'no' }) };
    const mod: Guard<unknown, Prediction[]> = {
      name: 'label-only',
      afterInference: (ctx) => ({
        action: 'modify',
        code: 'label',
        message: 'x',
        value: (ctx.output ?? []).map((p) => ({ label: p.label })),
        disclosure: { kind: 'label' },
      }),
    };
    const r = await createBulwark({ guards: [deny, mod] })
      .wrap(model)
      .run([[1]], P);
    expect(r.output).toEqual([{ label: 1 }]);
    expect(r.disclosure).toEqual({ kind: 'label' });
  });

  it('modify before inference replaces the input the model sees', async () => {
    const clamp: Guard<number[][]> = {
      name: 'clamp',
      beforeInference: (ctx) => ({ action: 'modify', code: 'clamped', message: 'c', value: ctx.input.map((r) => r.map((v) => Math.min(v, 5))) }),
    };
    let seen: number[][] = [];
    await createBulwark({ guards: [clamp] }).wrap((x: number[][]) => {
      seen = x;
      return model(x);
    })([[9, 1]], P);
    expect(seen).toEqual([[5, 1]]);
  });

  it('fails closed when a guard throws: guard_failure, and no output is returned', async () => {
    const boom: Guard = {
      name: 'boom',
      afterInference: () => {
        throw new Error('secret detail');
      },
    };
    const e = await rejection(createBulwark({ guards: [boom] }).wrap(model)([[1]], P));
    expect(e.code).toBe('guard_failure');
    expect(e.status).toBe(500);
    expect(e.guard).toBe('boom');
  });

  it('fails closed when an async guard exceeds its timeout', async () => {
    const slow: Guard = { name: 'slow', timeoutMs: 20, beforeInference: () => new Promise<undefined>(() => {}) };
    const e = await rejection(createBulwark({ guards: [slow] }).wrap(model)([[1]], P));
    expect(e.code).toBe('guard_failure');
  });

  it('fails open when configured, and records that it did', async () => {
    const boom: Guard = {
      name: 'boom',
      onError: 'allow',
      beforeInference: () => {
        throw new Error('x');
      },
    };
    const r = await createBulwark({ guards: [boom] })
      .wrap(model)
      .run([[1]], P);
    expect(r.output).toHaveLength(1);
    expect(r.decisions).toMatchObject([{ guard: 'boom', action: 'flag', code: 'guard_failed_open', enforced: false }]);
  });

  it('a malformed verdict is a guard failure (fail closed)', async () => {
    const bad = { name: 'bad', beforeInference: () => ({ action: 'explode' }) } as unknown as AnyGuard;
    const e = await rejection(createBulwark({ guards: [bad] }).wrap(model)([[1]], P));
    expect(e.code).toBe('guard_failure');
  });

  it('maps a failing model to model_unavailable without exposing its error', async () => {
    const e = await rejection(
      createBulwark().wrap(() => {
        throw new Error('native crash details');
      })([[1]], P),
    );
    expect(e.code).toBe('model_unavailable');
    expect(e.message).not.toContain('native');
  });

  it('requires a principal', async () => {
    const e = await rejection(createBulwark().wrap(model)([[1]], {} as never));
    expect(e.code).toBe('unauthorized');
  });

  it('runs validateInput before any guard', async () => {
    let guardRan = false;
    const g: Guard = {
      name: 'g',
      beforeInference: () => {
        guardRan = true;
      },
    };
    const validateInput = () => {
      throw new BulwarkError('invalid_input', 'bad', { path: 'inputs[0]' });
    };
    const e = await rejection(createBulwark({ guards: [g] }).wrap(model, { validateInput })([[1]], P));
    expect(e.code).toBe('invalid_input');
    expect(guardRan).toBe(false);
  });

  it('refuses invalid guards at construction, naming each problem', () => {
    expect(() => createBulwark({ guards: [{ name: 'Bad Name', beforeInference: () => undefined }] })).toThrow(/guards\[0\]\.name: must be a kebab-case string/);
    expect(() =>
      createBulwark({
        guards: [
          { name: 'a', beforeInference: () => undefined },
          { name: 'a', afterInference: () => undefined },
        ],
      }),
    ).toThrow(/must be unique/);
    expect(() => createBulwark({ guards: [{ name: 'x' } as AnyGuard] })).toThrow(/beforeInference or afterInference/);
    expect(() => createBulwark({ mode: 'dry' as never })).toThrow(/mode: must be "enforce" or "monitor" \(received "dry"\)/);
  });

  it('calls onDecision for verdicts other than allow, and survives it throwing', async () => {
    const seen: string[] = [];
    const flag: Guard = { name: 'flagger', beforeInference: () => ({ action: 'flag', code: 'odd', message: 'm' }) };
    const b = createBulwark({
      guards: [flag],
      onDecision: (d, info) => {
        seen.push(`${d.guard}:${d.code}:${info.principalHash.length}`);
        throw new Error('logger down');
      },
    });
    const r = await b.wrap(model).run([[1]], P);
    expect(r.output).toHaveLength(1);
    expect(seen).toEqual(['flagger:odd:22']);
  });
});
