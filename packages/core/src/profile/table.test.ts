import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { profileFile } from './file.js';
import { readTable, TableError } from './table.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-table-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
async function read(path: string) {
  const rows: unknown[][] = [];
  let columns: readonly string[] = [];
  const digest = await readTable(path, {
    onColumns: (c) => {
      columns = c;
    },
    onRow: (cells, line) => {
      rows.push([line, ...cells]);
    },
  });
  return { columns, rows, digest };
}

describe('readTable', () => {
  it('reads CSV (quoted fields, CRLF, blank lines) and both JSON Lines forms, cells raw, rows by line', async () => {
    const csv = await read(file('a.csv', 'a,"b,c",label\r\n1,"x ""y""",0\r\n\r\n3,4,1\r\n'));
    expect(csv.columns).toEqual(['a', 'b,c', 'label']);
    expect(csv.rows).toEqual([
      [2, '1', 'x "y"', '0'],
      [4, '3', '4', '1'],
    ]);
    expect(csv.digest.sha256).toMatch(/^[0-9a-f]{64}$/);
    const x = await read(file('b.jsonl', '{"x":[1,2],"label":0}\n{"x":[3,4],"label":1}\n'));
    expect(x.columns).toEqual(['x0', 'x1', 'label']);
    expect(x.rows).toEqual([
      [1, 1, 2, 0],
      [2, 3, 4, 1],
    ]);
    const named = await read(file('c.ndjson', '{"a":1,"b":2}\n{"b":5}\n'));
    expect(named.rows).toEqual([
      [1, 1, 2],
      [2, undefined, 5],
    ]);
  });

  it('names the line of a malformed row', async () => {
    await expect(read(file('d.csv', 'a,b\n1,2\n3\n'))).rejects.toThrow(new TableError('line 3: 1 columns, the header has 2'));
    await expect(read(file('e.jsonl', '{"x":[1,2]}\n{"x":[1]}\n'))).rejects.toThrow(/line 2: "x" must be an array of 2 values/);
    await expect(read(file('f.jsonl', '{"a":1}\nnot json\n'))).rejects.toThrow(/line 2: not valid JSON/);
  });

  it('profileFile refuses an empty label cell instead of reading it as class 0', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => `${i},${i % 2}`);
    rows[30] = '30,';
    await expect(profileFile(file('g.csv', `a,label\n${rows.join('\n')}\n`))).rejects.toThrow(/line 32: the label must be a class index/);
  });
});
