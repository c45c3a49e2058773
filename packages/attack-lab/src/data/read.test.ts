import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDataset } from './read.js';

const dir = mkdtempSync(join(tmpdir(), 'data-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('readDataset', () => {
  it('reads CSV with a label column anywhere, quoted headers, CRLF', () => {
    const d = readDataset(file('a.csv', '"amount, usd",label,hour\r\n1.5,0,3\r\n2,1,4\r\n'));
    expect(d).toEqual({
      features: ['amount, usd', 'hour'],
      x: [
        [1.5, 3],
        [2, 4],
      ],
      y: [0, 1],
      classes: 2,
    });
  });
  it('reads JSON Lines with x arrays or named features', () => {
    expect(readDataset(file('a.jsonl', '{"x":[1,2],"label":2}\n{"x":[3,4],"label":0}\n'))).toMatchObject({
      x: [
        [1, 2],
        [3, 4],
      ],
      y: [2, 0],
      classes: 3,
    });
    expect(readDataset(file('b.jsonl', '{"a":1,"b":2,"label":1}\n{"b":4,"a":3,"label":0}\n'))).toMatchObject({
      features: ['a', 'b'],
      x: [
        [1, 2],
        [3, 4],
      ],
    });
  });
  it('names the line and the column of a problem, and never skips a row', () => {
    expect(() => readDataset(file('c.csv', 'a,b\n1,2\n'))).toThrow(/no "label" column/);
    expect(() => readDataset(file('d.csv', 'a,label\n1,0\nx,1\n'))).toThrow(/d\.csv:3 "a": not a finite number \("x"\)/);
    expect(() => readDataset(file('e.csv', 'a,label\n1,0\n1,0.5\n'))).toThrow(/e\.csv:3: label must be a class index/);
    expect(() => readDataset(file('f.csv', 'a,label\n1,0\n1\n'))).toThrow(/f\.csv:3: 1 columns, the header has 2/);
    expect(() => readDataset(file('g.jsonl', '{"x":[1],"label":0}\n{"x":[1,2],"label":0}\n'))).toThrow(/g\.jsonl:2: 2 features, the first row had 1/);
    expect(() => readDataset(file('h.jsonl', 'nope\n'))).toThrow(/h\.jsonl:1: not JSON/);
  });
});
