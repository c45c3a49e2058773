/**
 * Hostile request bodies for the predict endpoint, from a seed: random JSON, mutated valid bodies
 * (byte flips, truncation, insertions), prototype-poisoning keys, numbers that overflow, deep and
 * wide structures. Shared by the short fuzz test and the long campaign (scripts/fuzz.ts).
 */
import type { Rng } from '@bulwark/attack-lab';

const VALID = JSON.stringify({
  inputs: [
    [120, 3, 0.4, 12, 1, 0, 0, 400],
    [25, 14, 0.1, 3, 0, 1, 0, 2000],
  ],
});
const ATOMS = ['1e400', '-1e400', '1e39', 'NaN', 'Infinity', 'null', 'true', '"x"', '0', '-0', '1.5e-320', '{}', '[]', '"\\u0000"', '9007199254740993'];

function randomJson(r: Rng, depth: number): string {
  const k = r.int(depth > 6 ? 3 : 6);
  if (k === 0) return ATOMS[r.int(ATOMS.length)] as string;
  if (k === 1) return String((r.next() - 0.5) * 10 ** r.int(45));
  if (k === 2) return JSON.stringify('s'.repeat(r.int(50)));
  if (k === 3) return `[${Array.from({ length: r.int(10) }, () => randomJson(r, depth + 1)).join(',')}]`;
  const keys = ['inputs', '__proto__', 'constructor', 'prototype', 'x', 'inputs'];
  return `{${Array.from({ length: r.int(4) }, () => `${JSON.stringify(keys[r.int(keys.length)])}:${randomJson(r, depth + 1)}`).join(',')}}`;
}

export interface FuzzCase {
  readonly body: string;
  readonly contentType: string;
}

export function fuzzCase(r: Rng): FuzzCase {
  const kind = r.int(8);
  let body: string;
  if (kind === 0) body = randomJson(r, 0);
  else if (kind === 1) body = `{"inputs":${randomJson(r, 1)}}`;
  else if (kind === 2) {
    const b = Buffer.from(VALID);
    for (let i = 0, n = 1 + r.int(4); i < n; i++) b[r.int(b.length)] = r.int(256);
    body = b.toString('latin1');
  } else if (kind === 3) body = VALID.slice(0, r.int(VALID.length));
  else if (kind === 4) body = VALID.replace(/\d+/, ATOMS[r.int(ATOMS.length)] as string);
  else if (kind === 5) {
    const d = 1 + r.int(3000);
    body = `{"inputs":${'['.repeat(d)}1${']'.repeat(d)}}`;
  } else if (kind === 6) body = `{"inputs":[${Array.from({ length: r.int(3000) }, () => '[1,2,3,4,5,6,7,8]').join(',')}]}`;
  else body = `{"inputs":[1,2,3,4,5,6,7,8],"__proto__":${randomJson(r, 1)}}`;
  const types = ['application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x+json', ''];
  return { body, contentType: types[r.int(types.length)] as string };
}
