/**
 * `bulwark profile` streams: a file larger than the JavaScript heap it is given is profiled, with
 * every row counted and the provenance digest over every byte, and its peak memory does not grow
 * with the file (a quarter of the file and the whole of it peak alike). Files are made from the
 * fraud training rows, repeated.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProfile } from '@bulwark/core';
import { afterAll, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';

const HEAP_MB = 64;
const dir = mkdtempSync(join(tmpdir(), 'profile-large-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CSV of about `bytes` bytes, written in chunks (no large string in this worker); its path, rows, size and sha256. */
function bigCsv(name: string, bytes: number): { path: string; rows: number; bytes: number; sha256: string } {
  const src = readFileSync(fileURLToPath(new URL('../../packages/models/data/fraud-train.csv', import.meta.url)), 'utf8')
    .trim()
    .split('\n');
  const header = Buffer.from(`${src[0]}\n`);
  const body = Buffer.from(`${src.slice(1).join('\n')}\n`);
  const copies = Math.ceil(bytes / body.length);
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  const hash = createHash('sha256');
  try {
    writeSync(fd, header);
    hash.update(header);
    for (let i = 0; i < copies; i++) {
      writeSync(fd, body);
      hash.update(body);
    }
  } finally {
    closeSync(fd);
  }
  return { path, rows: copies * (src.length - 1), bytes: header.length + copies * body.length, sha256: hash.digest('hex') };
}

/** `nice` where there is one: the child is heavy, and must not starve the servers of tests running beside it. */
const NICE = process.platform === 'linux' && spawnSync('nice', ['true']).status === 0;

/** Runs `bulwark profile` under a heap limit; the child reports its peak resident memory on exit. */
function profileUnderLimit(csv: string): { status: number | null; stderr: string; peakRssMb: number } {
  const preload = join(dir, 'peak.mjs');
  writeFileSync(preload, "process.on('exit', () => process.stderr.write('peak-rss-kb ' + process.resourceUsage().maxRSS + '\\n'));\n");
  const args = [`--max-old-space-size=${HEAP_MB}`, '--import', preload, BIN, 'profile', csv, '--out', `${csv}.json`, '--quiet'];
  const r = NICE
    ? spawnSync('nice', ['-n', '15', process.execPath, ...args], { encoding: 'utf8', timeout: 300_000 })
    : spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 300_000 });
  const kb = Number(/peak-rss-kb (\d+)/.exec(r.stderr)?.[1] ?? Number.NaN);
  return { status: r.status, stderr: r.stderr, peakRssMb: kb / 1024 };
}

it(`profiles a file larger than its ${HEAP_MB} MiB heap, every row and byte, in memory that does not grow with the file`, () => {
  const whole = bigCsv('whole.csv', 80e6);
  const quarter = bigCsv('quarter.csv', 20e6);
  expect(whole.bytes).toBeGreaterThan(HEAP_MB * 2 ** 20); // the file is larger than the heap
  const a = profileUnderLimit(quarter.path);
  const b = profileUnderLimit(whole.path);
  expect(a.status, a.stderr).toBe(0);
  expect(b.status, b.stderr).toBe(0);
  const p = loadProfile(`${whole.path}.json`);
  expect(p.provenance).toMatchObject({ rows: whole.rows, sha256: whole.sha256 });
  expect(loadProfile(`${quarter.path}.json`).provenance.rows).toBe(quarter.rows);
  // Four times the data, the same peak (within 25%: allocator and JIT noise).
  expect(Number.isFinite(a.peakRssMb) && Number.isFinite(b.peakRssMb)).toBe(true);
  expect(b.peakRssMb).toBeLessThan(a.peakRssMb * 1.25);
}, 600_000);
