/** The guard contract v2: settle for every guard that ran, typed signals, disclosure caps, injected randomness and time, construction errors. */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { describe, expect, it } from 'vitest';
import { createBulwark } from '../bulwark.js';
import { disclose } from '../disclosure.js';
import { ConfigError, isConfigError } from '../errors.js';
import { defineGuard } from '../guards/define.js';
import { maskOutput } from '../guards/mask-output/index.js';
import { guardsFromPolicy } from '../policy/build.js';
import { parsePolicy } from '../policy/policy.js';
import { s } from '../policy/schema.js';
import { randomUint32 } from '../runtime/random.js';
import { createSignalKey, riskKey } from '../signals.js';
import { manualClock, seededRandom } from '../testing/seeded.js';
import type { Guard, Prediction } from '../types.js';

const model = (rows: number[][]): Prediction[] => rows.map(() => ({ label: 1, scores: [0.25, 0.75] }));
const P = { principal: 'user-1' };
const codesOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (!isConfigError(e)) throw e;
    return (e as ConfigError).issues.map((i) => `${i.code} ${i.path}: ${i.rule}`);
  }
  throw new Error('expected a ConfigError');
};

describe('settle', () => {
  it("refunds an output-only guard's reservation when a later guard denies", async () => {
    let reserved = 0;
    const outcomes: string[] = [];
    const noise: Guard = {
      name: 'noise',
      afterInference: () => {
        reserved += 1; // e.g. ε reserved before release
      },
      settle: (_ctx, { released, error }) => {
        outcomes.push(`noise released=${released} by=${error?.guard}`);
        if (!released) reserved -= 1;
      },
    };
    const refuse: Guard = { name: 'refuse', afterInference: () => ({ action: 'deny', code: 'forbidden', message: 'no' }) };
    await expect(createBulwark({ guards: [noise, refuse] }).wrap(model)([[1]], P)).rejects.toMatchObject({ code: 'forbidden' });
    expect(reserved).toBe(0);
    expect(outcomes).toEqual(['noise released=false by=refuse']);
  });

  it('settles every guard that ran, once, in reverse order of first run; not those that never ran', async () => {
    const log: string[] = [];
    const g = (name: string, hooks: 'before' | 'after' | 'both'): Guard => ({
      name,
      ...(hooks !== 'after' && { beforeInference: () => undefined }),
      ...(hooks !== 'before' && { afterInference: () => undefined }),
      settle: () => void log.push(name),
    });
    await createBulwark({ guards: [g('a', 'both'), g('b', 'after'), g('c', 'before')] }).wrap(model)([[1]], P);
    expect(log).toEqual(['b', 'c', 'a']);
    log.length = 0;
    const deny: Guard = { name: 'deny', beforeInference: () => ({ action: 'deny', code: 'forbidden', message: 'no' }) };
    await expect(createBulwark({ guards: [g('a', 'both'), deny, g('b', 'after')] }).wrap(model)([[1]], P)).rejects.toThrow();
    expect(log).toEqual(['a']); // b's hook never ran
  });
});

describe('signals', () => {
  const suspicion = createSignalKey<number>('test.suspicion', { combine: (a, b) => a + b });
  const writer = (name: string, value: number, mode?: 'monitor'): Guard => ({
    name,
    mode,
    signals: { writes: [suspicion] },
    beforeInference: () => ({ action: 'flag', code: 'odd', message: 'odd', signals: [suspicion.of(value)] }),
  });
  const reader = (seen: (number | undefined)[]): Guard => ({
    name: 'reader',
    signals: { reads: [suspicion] },
    beforeInference: (ctx) => {
      seen.push(ctx.get(suspicion));
    },
  });

  it('a later guard reads what an earlier one wrote, typed, and writes combine', async () => {
    const seen: (number | undefined)[] = [];
    await createBulwark({ guards: [writer('w1', 0.25), writer('w2', 0.5), reader(seen)] }).wrap(model)([[1]], P);
    expect(seen).toEqual([0.75]);
  });

  it('a signal written in monitor mode is recorded and does not take effect', async () => {
    const seen: (number | undefined)[] = [];
    const r = await createBulwark({ guards: [writer('w1', 0.9, 'monitor'), reader(seen)] })
      .wrap(model)
      .run([[1]], P);
    expect(seen).toEqual([undefined]);
    expect(r.decisions[0]).toMatchObject({ guard: 'w1', action: 'flag', enforced: false, signals: [{ key: suspicion, value: 0.9 }] });
  });

  it('a reader ordered before its writer, or with no writer, fails at construction', () => {
    expect(codesOf(() => createBulwark({ guards: [reader([]), writer('w1', 1)] }))).toEqual([
      'signal_order guards[0].signals.reads: reads "test.suspicion" before "w1" (guards[1]) writes it: move the writer first',
    ]);
    expect(codesOf(() => createBulwark({ guards: [reader([])] }))).toEqual([
      'signal_order guards[0].signals.reads: reads "test.suspicion", which no guard writes',
    ]);
  });

  it('writing a signal the guard did not declare fails the call closed', async () => {
    const sneaky: Guard = { name: 'sneaky', beforeInference: () => ({ action: 'allow', signals: [riskKey.of(1)] }) };
    await expect(createBulwark({ guards: [sneaky] }).wrap(model)([[1]], P)).rejects.toMatchObject({ code: 'guard_failure' });
  });

  it('guards see the decisions made so far', async () => {
    let seen: string[] = [];
    const look: Guard = {
      name: 'look',
      afterInference: (ctx) => {
        seen = ctx.decisions.map((d) => `${d.guard}:${d.code}`);
      },
    };
    await createBulwark({ guards: [writer('w1', 1), look] }).wrap(model)([[1]], P);
    expect(seen).toEqual(['w1:odd']); // its own decision is not made yet
  });
});

describe('disclosure', () => {
  it('derives the most an answer can reveal from output guards that enforce and fail closed', () => {
    expect(createBulwark().maxDisclosure).toEqual({ kind: 'raw' });
    expect(createBulwark({ guards: [maskOutput({ form: 'rounded', decimals: 2 })] }).maxDisclosure).toEqual({ kind: 'rounded', decimals: 2 });
    expect(createBulwark({ guards: [maskOutput({ form: 'rounded' }), maskOutput({ form: 'label', name: 'labels' })] }).maxDisclosure).toEqual({
      kind: 'label',
    });
    expect(createBulwark({ guards: [maskOutput({ form: 'label', mode: 'monitor' })] }).maxDisclosure).toEqual({ kind: 'raw' });
    expect(createBulwark({ guards: [maskOutput({ form: 'label', onError: 'allow' })] }).maxDisclosure).toEqual({ kind: 'raw' });
    expect(createBulwark({ guards: [maskOutput({ form: 'label' })], mode: 'monitor' }).maxDisclosure).toEqual({ kind: 'raw' });
  });

  it('reports what the output reveals as the descriptor the output guard gave', async () => {
    const r = await createBulwark({ guards: [maskOutput({ form: 'top-k', k: 1, decimals: 2 })] })
      .wrap(model)
      .run([[1]], P);
    expect(r.disclosure).toEqual(disclose.topK(1, 2));
  });

  it('refuses a modify verdict whose disclosure is not a descriptor', async () => {
    const bad: Guard = {
      name: 'bad',
      afterInference: () => ({ action: 'modify', code: 'x', message: 'x', value: [], disclosure: { kind: 'blurred' } as never }),
    };
    await expect(createBulwark({ guards: [bad] }).wrap(model)([[1]], P)).rejects.toMatchObject({ code: 'guard_failure' });
  });
});

describe('injected randomness and time', () => {
  it('every guard sees the pipeline random and clock', async () => {
    const draws: number[] = [];
    const times: number[] = [];
    const g: Guard = {
      name: 'g',
      beforeInference: (ctx) => {
        draws.push(randomUint32(ctx.random));
        times.push(ctx.clock.now());
      },
    };
    const clock = manualClock(1000);
    const run = async (seed: number) => createBulwark({ guards: [g], random: seededRandom(seed), clock }).wrap(model)([[1]], P);
    await run(7);
    clock.advance(500);
    await run(7);
    await run(8);
    expect(draws[0]).toBe(draws[1]);
    expect(draws[2]).not.toBe(draws[0]);
    expect(times).toEqual([1000, 1500, 1500]);
  });
});

describe('guards built against the model', () => {
  const profiled = defineGuard({
    use: 'profiled',
    schema: s.object({ features: s.int({ min: 1 }) }),
    create(o, context) {
      const d = context.model?.features;
      if (d !== undefined && d !== o.features) {
        throw new ConfigError(
          [{ code: 'model_mismatch', path: 'features', rule: `the model takes ${d} features`, received: String(o.features) }],
          'profiled options',
        );
      }
      return { name: 'profiled', beforeInference: () => undefined };
    },
  });

  it('rejects at construction a guard whose options do not fit the model', () => {
    const policy = parsePolicy({ version: 1, guards: [{ use: 'profiled', with: { features: 30 } }] }, { guards: [profiled] });
    expect(codesOf(() => guardsFromPolicy(policy, { model: { name: 'm', features: 64 } }))).toEqual([
      'model_mismatch guards[0].with.features: the model takes 64 features',
    ]);
    expect(guardsFromPolicy(policy, { model: { name: 'm', features: 30 } })).toHaveLength(1);
  });

  it('accepts a Standard Schema (zod, valibot…) for its options and reports its issues with paths', () => {
    const positive: StandardSchemaV1<{ n: number }> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (v) =>
          typeof (v as { n?: unknown })?.n === 'number' && (v as { n: number }).n > 0
            ? { value: v as { n: number } }
            : { issues: [{ message: 'n must be positive', path: [{ key: 'n' }] }] },
      },
    };
    const g = defineGuard({ use: 'std', schema: positive, create: (o) => ({ name: 'std', beforeInference: () => (o.n > 5 ? undefined : undefined) }) });
    expect(g({ n: 2 }).name).toBe('std');
    expect(codesOf(() => g({ n: -1 }))).toEqual(['invalid_value n: n must be positive']);
    const policy = () => parsePolicy({ version: 1, guards: [{ use: 'std', with: { n: 0 } }] }, { guards: [g] });
    expect(codesOf(policy)).toEqual(['invalid_value guards[0].with.n: n must be positive']);
  });

  it('every construction error is a ConfigError with a code, a path and the docs', () => {
    for (const fn of [() => maskOutput({ form: 'label', mode: 'later' as never }), () => createBulwark({ principalSecret: 'short' })]) {
      try {
        fn();
        throw new Error('expected a throw');
      } catch (e) {
        expect(isConfigError(e)).toBe(true);
        expect((e as ConfigError).message).toContain('docs/errors.md#configuration-errors');
        expect((e as ConfigError).issues[0]?.code).toBe('invalid_value');
      }
    }
  });
});
