/**
 * The short version of `pnpm audit:privacy` (full N and figures in docs/privacy.md): the same
 * script at 100,000 samples per side (histogram tolerance 0.025: see the script) and quick attack budgets, on real mechanisms, a real
 * `bulwark serve` on loopback and the attack lab.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

function run(only: string): { code: number | null; json: unknown; stderr: string } {
  const out = mkdtempSync(join(tmpdir(), 'bulwark-privacy-test-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audit-privacy.ts', '--quick', `--only=${only}`, '--out', out], {
    cwd: root,
    encoding: 'utf8',
    timeout: 600_000,
  });
  return { code: r.status, json: JSON.parse(readFileSync(join(out, `privacy-${only}.json`), 'utf8')), stderr: r.stderr };
}

describe('pnpm audit:privacy --quick', () => {
  it('audit: every shipped mechanism passes the histogram test, every negative control fails, nothing is off the grid, noise latency does not follow the noise', () => {
    const { code, json, stderr } = run('audit');
    expect(code, stderr).toBe(0);
    const a = (
      json as {
        audit: {
          rows: { name: string; expect: string; passed: boolean; epsilonLowerBound?: number }[];
          offGrid: { offGrid: number; draws: number };
          timing: { draws: number; consistent: number; pool: number };
        };
      }
    ).audit;
    expect(a.rows.length).toBeGreaterThanOrEqual(13);
    for (const r of a.rows) expect(r.passed, r.name).toBe(r.expect === 'pass');
    expect(a.rows.filter((r) => r.expect === 'fail').length).toBeGreaterThanOrEqual(4);
    // The lower bound never exceeds the nominal ε for a shipped mechanism…
    for (const r of a.rows)
      if (r.expect === 'pass' && !r.name.startsWith('control') && r.epsilonLowerBound !== undefined)
        expect(r.epsilonLowerBound, r.name).toBeLessThanOrEqual(Math.log(3));
    // … and exceeds it for the under-noised control (the bound has power).
    expect(a.rows.find((r) => r.name === 'control: noise scale ÷ 1.175 (pair A)')?.epsilonLowerBound).toBeGreaterThan(Math.log(3));
    expect(a.offGrid).toEqual({ offGrid: 0, draws: 100_000 });
    // Null correlation has sd 1/√n; 5 sd at n = 100,000.
    const bound = 5 / Math.sqrt(a.timing.draws);
    expect(Math.abs(a.timing.consistent)).toBeLessThan(bound);
    expect(Math.abs(a.timing.pool)).toBeLessThan(bound);
  }, 600_000);

  it('attacks: every run answered; labels kept where promised; averaging gains nothing against consistent noise and narrows fresh noise', () => {
    const { code, json, stderr } = run('attacks');
    expect(code, stderr).toBe(0);
    type E = { value: number } | undefined;
    const { rows, averaging } = (
      json as {
        attacks: {
          rows: { policy: string; membership: Record<string, { auc: E; answered: number }>; utility?: { labelAgreement: { value: number } } }[];
          averaging: { target: string; jitter: number; narrowing?: number; inconclusive?: string }[];
        };
      }
    ).attacks;
    expect(rows.map((r) => r.policy)).toContain('privacy');
    for (const r of rows) for (const [kind, m] of Object.entries(r.membership)) expect(m.auc, `${r.policy} ${kind}`).toBeDefined();
    for (const r of rows.filter((x) => x.policy === 'privacy' || (x.policy.startsWith('dp-noise-eps-') && !x.policy.endsWith('free-label')))) {
      expect(r.utility?.labelAgreement.value, r.policy).toBe(1);
    }
    const consistent = averaging.find((a) => a.target.endsWith('consistent') && a.jitter === 0);
    const fresh = averaging.find((a) => a.target.endsWith('fresh') && a.jitter === 0);
    expect(consistent?.inconclusive).toBeUndefined();
    expect(consistent?.narrowing).toBe(1);
    expect(fresh?.narrowing).toBeGreaterThan(3); // 100 repeats: √100 = 10 in expectation
  }, 600_000);
});
