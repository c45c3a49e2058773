import { describe, expect, it } from 'vitest';
import { createBulwark } from '../../bulwark.js';
import type { Prediction } from '../../types.js';
import { maskOutput } from './index.js';

/** Deterministic pseudo-random probability vectors for the property checks (test data only). */
function* vectors(n: number, k: number): Generator<number[]> {
  let x = 12345;
  for (let i = 0; i < n; i++) {
    const v = Array.from({ length: k }, () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x / 2 ** 31;
    });
    const sum = v.reduce((a, b) => a + b, 0);
    yield v.map((e) => e / sum);
  }
}

const toPred = (v: number[]): Prediction => ({ label: v.indexOf(Math.max(...v)), scores: v });

describe('mask-output', () => {
  for (const options of [{ form: 'label' }, { form: 'top-k', k: 2 }, { form: 'top-k', k: 1, decimals: 1 }, { form: 'rounded', decimals: 2 }] as const) {
    it(`${JSON.stringify(options)}: a batch gives exactly what each row gives alone, and keeps the label`, async () => {
      const preds = [...vectors(200, 5)].map(toPred);
      const batch = createBulwark({ guards: [maskOutput(options)] }).wrap(() => preds);
      const out = await batch([[0]], { principal: 'p' });
      for (let i = 0; i < preds.length; i++) {
        const single = await createBulwark({ guards: [maskOutput(options)] }).wrap(() => [preds[i] as Prediction])([[0]], { principal: 'p' });
        expect(out[i]).toEqual(single[0]);
        expect(out[i]?.label).toBe(preds[i]?.label);
      }
    });
  }

  it('label: removes scores and reports the label form', async () => {
    const r = await createBulwark({ guards: [maskOutput({ form: 'label' })] })
      .wrap(() => [toPred([0.2, 0.8])])
      .run([[0]], { principal: 'p' });
    expect(r.output).toEqual([{ label: 1 }]);
    expect(r.disclosure).toEqual({ kind: 'label' });
  });

  it('top-k: keeps the k highest, zeroes the rest', async () => {
    const out = await createBulwark({ guards: [maskOutput({ form: 'top-k', k: 2 })] }).wrap(() => [toPred([0.1, 0.5, 0.15, 0.25])])([[0]], { principal: 'p' });
    expect(out[0]?.scores).toEqual([0, 0.5, 0, 0.25]);
  });

  it('rounded: rounds every score', async () => {
    const out = await createBulwark({ guards: [maskOutput({ form: 'rounded', decimals: 1 })] }).wrap(() => [toPred([0.123, 0.877])])([[0]], { principal: 'p' });
    expect(out[0]?.scores).toEqual([0.1, 0.9]);
  });

  it('refuses bad options at construction', () => {
    expect(() => maskOutput({ form: 'top-k', k: 0 })).toThrow(/k: must be an integer >= 1 \(received 0\)/);
    expect(() => maskOutput({ form: 'blur' as never })).toThrow(/form: must be one of/);
    expect(() => maskOutput({ form: 'label', extra: 1 } as never)).toThrow(/extra: is not a known key/);
  });
});
