/**
 * `pnpm robustness --quick`: the whole robustness run with small budgets (the full run's figures
 * are in docs/robustness.md): every attack row against every policy column, each cell a value with
 * its interval, "not measured", or "–" (not run), never a bare 0 for a run that got nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

it('pnpm robustness --quick regenerates the table: every attack, every policy, intervals or "not measured"', () => {
  const out = mkdtempSync(join(tmpdir(), 'robustness-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/robustness.ts', '--quick', '--out', out], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 600_000,
  });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/`pnpm robustness` took \d+\.\d min/);
  const table = readFileSync(join(out, 'robustness-table.md'), 'utf8');
  const rows = table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| attack') && !l.startsWith('| utility'));
  const names = rows.map((l) => l.split('|')[1]?.trim());
  for (const want of [
    'fraud: extraction (active)',
    'digits: extraction (active) [10 keys, round-robin (Sybil)]',
    'fraud: extraction (random) [data-free (uniform queries)]',
    'leaky: membership, LiRA offline (4 shadows)',
    'leaky: membership, label-only (noise 0.25σ × 8)',
    'digits: evasion (hopskipjump, L∞ ε=0.25)',
    'fraud: averaging (identical repeats)',
  ])
    expect(names).toContain(want);
  for (const row of rows) {
    const cells = row
      .split('|')
      .slice(3, 8)
      .map((c) => c.trim());
    expect(cells, row).toHaveLength(5);
    for (const c of cells) expect(c, row).toMatch(/^(\d\.\d{3} \(\d\.\d\d–\d\.\d\d\)( †)?|not measured|–)$/);
  }
  // The reports are written next to it, and the Sybil row reaches the unguarded clone under the per-key budget.
  const report = JSON.parse(readFileSync(join(out, 'robustness.json'), 'utf8'));
  const sybil = report.runs.filter((x: { variant?: string }) => x.variant === '10 keys, round-robin (Sybil)');
  expect(sybil.find((x: { target: string }) => x.target === 'budget').result.stats.identities).toHaveLength(10);
}, 600_000);
