/**
 * The endpoint reads a predict body without walking it when it has the contract's shape; these
 * check that every body is still refused exactly as the general walk and the contract would refuse
 * it, at the walk's bounds (value count, depth) and for keys the walk forbids. And the principal
 * kept per address: one per address without keys, none kept when keys decide.
 */
import { describe, expect, it } from 'vitest';
import { createBulwark } from '../bulwark.js';
import { isBulwarkError } from '../errors.js';
import type { Prediction } from '../types.js';
import { createPredictEndpoint, type EndpointOptions, type EndpointRequest } from './endpoint.js';

const predict = async (rows: number[][]): Promise<Prediction[]> => rows.map(() => ({ label: 0, scores: [1, 0] }));

function endpoint(options: EndpointOptions = {}) {
  const guarded = createBulwark({ guards: [], principalSecret: 'endpoint-test-secret-0123' }).wrap(predict);
  return createPredictEndpoint(guarded, options);
}

function request(body: string, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1'): EndpointRequest {
  const all: Record<string, string> = { 'content-type': 'application/json', ...headers };
  return { remoteAddress, header: (n) => all[n], readBody: async () => Buffer.from(body, 'utf8') };
}

async function answer(options: EndpointOptions, body: string): Promise<string> {
  const r = await endpoint(options).handle(request(body));
  if (r.status === 200) return 'ok';
  const e = (r.body as { error: { code: string; message: string } }).error;
  return `${e.code}: ${e.message}`;
}

const rows = (n: number, width: number) => JSON.stringify({ inputs: Array.from({ length: n }, () => new Array(width).fill(1)) });

describe('predict bodies read without the walk', () => {
  it('keeps the walk’s value count: its 16 values of slack cover the containers of few rows, not of many', async () => {
    const limits = { maxElements: 100 };
    // 10 rows of 10: 100 numbers, 112 values counted by the walk (≤ 116).
    expect(await answer({ limits }, rows(10, 10))).toBe('ok');
    // 20 rows of 5: 100 numbers, but 122 values: the walk refused it, so does the endpoint.
    expect(await answer({ limits }, rows(20, 5))).toBe('invalid_request: body has more than 100 values');
    // 101 numbers in one row: the contract's own count.
    expect(await answer({ limits }, JSON.stringify({ inputs: new Array(101).fill(1) }))).toBe('invalid_input: at most 100 numbers per request');
  });

  it('keeps the walk’s depth bound: a batch needs depth 3, a single row 2', async () => {
    const limits = { maxDepth: 2 };
    expect(await answer({ limits }, JSON.stringify({ inputs: [1, 2, 3] }))).toBe('ok');
    expect(await answer({ limits }, rows(2, 3))).toBe('invalid_request: JSON nesting is deeper than 2');
  });

  it('refuses other shapes with the walk’s refusal first, as before', async () => {
    expect(await answer({}, '{"__proto__":{"inputs":[1]},"inputs":[1]}')).toBe('invalid_request: forbidden key "__proto__"');
    expect(await answer({}, `{"inputs":${'['.repeat(20)}1${']'.repeat(20)}}`)).toBe('invalid_request: JSON nesting is deeper than 8');
    expect(await answer({}, '{"inputs":[[1,{"constructor":{"prototype":{}}}]]}')).toBe('invalid_request: forbidden key "constructor.prototype"');
    // Shapes the walk accepts get the contract's refusal.
    expect(await answer({}, '{"inputs":[[1,"2"]]}')).toBe('invalid_input: values must be numbers');
    expect(await answer({}, '{"inputs":[[1,2]],"extra":1}')).toBe('invalid_request: unknown field "extra" (expected only "inputs")');
    expect(await answer({}, '{"inputs":[1,2')).toBe('invalid_request: body is not valid JSON');
  });
});

describe('principal of a request', () => {
  it('is kept per address when the address alone decides, and resolved per request when keys decide', async () => {
    const byAddress = endpoint();
    const a = byAddress.principal(request('', {}, '10.0.0.1'));
    expect(byAddress.principal(request('', {}, '10.0.0.1'))).toBe(a);
    expect(byAddress.principal(request('', {}, '10.0.0.2')).hash).not.toBe(a.hash);
    // With keys, the same address carries different callers.
    const keyed = endpoint({
      apiKeys: [
        { name: 'alice', sha256: '2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90' }, // "alice"
        { name: 'bob', sha256: '81b637d8fcd2c6da6359e6963113a1170de795e4b725b84d1e0b4cfd9ec58ce9' }, // "bob"
      ],
    });
    const alice = keyed.principal(request('', { 'x-api-key': 'alice' }, '10.0.0.1'));
    const bob = keyed.principal(request('', { 'x-api-key': 'bob' }, '10.0.0.1'));
    expect([alice.id, bob.id]).toEqual(['alice', 'bob']);
    let refused: unknown;
    try {
      keyed.principal(request('', { 'x-api-key': 'mallory' }, '10.0.0.1'));
    } catch (e) {
      refused = e;
    }
    expect(isBulwarkError(refused) && refused.code).toBe('unauthorized');
  });
});
