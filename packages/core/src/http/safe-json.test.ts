import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from './limits.js';
import { parsePredictBody } from './predict-body.js';
import { checkParsedJson, jsonDepth, parseJsonSafely } from './safe-json.js';

const L = { maxDepth: 8, maxElements: 1000 };
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return `${(e as { code: string }).code}: ${(e as Error).message}`;
  }
  return 'ok';
};

describe('parseJsonSafely', () => {
  it('parses ordinary bodies', () => {
    expect(parseJsonSafely('{"inputs":[[1,2],[3,4]]}', L)).toEqual({
      inputs: [
        [1, 2],
        [3, 4],
      ],
    });
  });
  it('rejects deep nesting before parsing (100,000 levels)', () => {
    expect(code(() => parseJsonSafely(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, L))).toBe('invalid_request: JSON nesting is deeper than 8');
    expect(jsonDepth('{"a":"[[[[[[[[[[["}', 3)).toBe(1);
  });
  it('rejects __proto__ and constructor.prototype keys, escaped or not', () => {
    expect(code(() => parseJsonSafely('{"__proto__":{"admin":true}}', L))).toBe('invalid_request: forbidden key "__proto__"');
    expect(code(() => parseJsonSafely('{"\\u005f_proto__":{}}', L))).toBe('invalid_request: forbidden key "__proto__"');
    expect(code(() => parseJsonSafely('{"a":{"constructor":{"prototype":{}}}}', L))).toBe('invalid_request: forbidden key "constructor.prototype"');
  });
  it('bounds the number of values', () => {
    expect(code(() => parseJsonSafely(JSON.stringify(new Array(5000).fill(1)), L))).toMatch(/more than 1000 values/);
  });
  it('reports malformed JSON without echoing the body', () => {
    expect(code(() => parseJsonSafely('{"inputs": [1, 2, secret', L))).toBe('invalid_request: body is not valid JSON');
  });
});

describe('parsePredictBody', () => {
  const p = (b: unknown) => code(() => parsePredictBody(b, { ...DEFAULT_LIMITS, maxRows: 4, maxElements: 12 }));
  it('accepts one row or a batch', () => {
    expect(parsePredictBody({ inputs: [1, 2] }, DEFAULT_LIMITS)).toEqual([[1, 2]]);
    expect(
      parsePredictBody(
        {
          inputs: [
            [1, 2],
            [3, 4],
          ],
        },
        DEFAULT_LIMITS,
      ),
    ).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
  it('names the problem and where it is', () => {
    expect(p({ inputs: [1], extra: true })).toBe('invalid_request: unknown field "extra" (expected only "inputs")');
    expect(p({})).toBe('invalid_request: missing field "inputs"');
    expect(p([1, 2])).toMatch(/^invalid_request/);
    expect(p({ inputs: 'x' })).toMatch(/^invalid_input/);
    expect(p({ inputs: [] })).toBe('invalid_input: "inputs" is empty');
    expect(p({ inputs: [[1, 2], [3]] })).toBe('invalid_input: every row must have 2 values (received 1)');
    expect(p({ inputs: [[1, '2']] })).toBe('invalid_input: values must be numbers');
    expect(p({ inputs: [[1, Number.POSITIVE_INFINITY]] })).toBe('invalid_input: values must be finite');
    expect(p({ inputs: [[1], [1], [1], [1], [1]] })).toBe('invalid_input: at most 4 rows per request (received 5)');
    expect(
      p({
        inputs: [
          [1, 2, 3, 4],
          [1, 2, 3, 4],
          [1, 2, 3, 4],
          [1, 2, 3, 4],
        ],
      }),
    ).toBe('invalid_input: at most 12 numbers per request');
  });
  it('turns 1e400 (Infinity after JSON.parse) into invalid_input', () => {
    expect(p(parseJsonSafely('{"inputs":[1e400]}', L))).toBe('invalid_input: values must be finite');
  });
});

describe('checkParsedJson on a value parsed upstream', () => {
  it('still checks the rest of a value whose getter checks another value in between (the walk stacks are shared)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = [deep];
    // `deep` is waiting on the stack when the getter runs a walk of looser limits.
    const value = {
      first: deep,
      get second() {
        checkParsedJson({ clean: [1, 2] }, { maxDepth: 100, maxElements: 1000 });
        return 1;
      },
    };
    expect(code(() => checkParsedJson(value, L))).toBe('invalid_request: JSON nesting is deeper than 8');
    // And a walk that threw leaves nothing behind for the next one.
    expect(code(() => checkParsedJson({ inputs: [[1]] }, L))).toBe('ok');
  });
});
