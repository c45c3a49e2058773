/**
 * `pnpm demo`, the README's main job, end to end: the probing flood is detected and gets a
 * worthless clone, the evasion search is refused within a few queries, and the analyst keeps every
 * verdict.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

it('pnpm demo: flood detected, clone worthless, evasion refused, analyst served', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  const out = r.stdout;
  expect(out).toMatch(/detected after \d+ queries \(attack_suspected\)/);
  expect(out).toContain('the clone: worthless');
  expect(out).toMatch(/the search was refused after \d+ queries \(attack_suspected\)/);
  const [, flipped] = out.match(/(none|\d+) of 20 flagged transactions now pass as legit/) ?? [];
  expect(flipped === 'none' || Number(flipped) <= 2).toBe(true);
  expect(out).toMatch(/200: 200 of 200 verdicts as the unguarded model gives them/);
  // Scores for all but ood's calibrated share (1%; 2% allows for chance in 200 rows).
  const [, withScores] = out.match(/verdicts as the unguarded model gives them, (\d+) with their scores/) ?? [];
  expect(Number(withScores)).toBeGreaterThanOrEqual(196);
  // Every answer printed as something (a label-only answer has no p(fraud) to print).
  expect(out).not.toContain('undefined');
});
