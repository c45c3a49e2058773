/**
 * `bulwark attack` as a user runs it: it starts `bulwark serve` for each policy, attacks over
 * HTTP, writes reports that render in a real browser, and exits non-zero when a gate is crossed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dumpDom } from '../helpers/browser.js';
import { BIN } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'attack', ...args, '--no-progress'], { encoding: 'utf8', cwd: ROOT, timeout: 300_000 });

describe('bulwark attack', () => {
  it('attacks unguarded and guarded servers, deterministically, with an HTML report that renders', () => {
    const out1 = mkdtempSync(join(tmpdir(), 'attack-'));
    const out2 = mkdtempSync(join(tmpdir(), 'attack-'));
    const args = ['all', '--quick', '--seed', '7', '--policy', 'policies/label-only.yaml'];
    const a = run(...args, '--out', out1);
    expect(a.stderr).toBe('');
    expect(a.status).toBe(0);
    const b = run(...args, '--out', out2);
    expect(b.status).toBe(0);
    const report = readFileSync(join(out1, 'attack-all.json'), 'utf8');
    expect(readFileSync(join(out2, 'attack-all.json'), 'utf8')).toBe(report);
    expect(readFileSync(join(out2, 'attack-all.html'), 'utf8')).toBe(readFileSync(join(out1, 'attack-all.html'), 'utf8'));

    const parsed = JSON.parse(report);
    const targets = new Set(parsed.runs.map((r: { target: string }) => r.target));
    expect([...targets]).toEqual(['unguarded', 'label-only']);
    const membership = parsed.runs.filter((r: any) => r.result.attack === 'membership');
    expect(membership[0].result.attacks.confidence.auc).toBeGreaterThan(0.6);
    expect(membership[1].result.attacks.confidence.auc).toBe(0.5);

    const dom = dumpDom(join(out1, 'attack-all.html'));
    const plots = (dom.match(/<svg class="plot"/g) ?? []).length;
    expect(plots).toBe(5); // extraction, membership ROC, evasion, utility × 2 models
    expect(dom).toContain(`data-rendered="${plots}"`);
    expect(readFileSync(join(out1, 'attack-all.md'), 'utf8')).toContain('| leaky | membership');
  });

  it('exits 1 when a gate is crossed, 0 when all pass, and exports adversarial examples', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gates-'));
    writeFileSync(join(dir, 'strict.yaml'), 'evasion: { maxSuccessRate: 0.0 }\ntargets: [unguarded]\n');
    writeFileSync(join(dir, 'lax.yaml'), 'evasion: { maxSuccessRate: 1.0 }\ntargets: [unguarded]\n');
    const strict = run('evasion', '--quick', '--gates', join(dir, 'strict.yaml'), '--out', dir, '--export', join(dir, 'adv.jsonl'));
    expect(strict.status).toBe(1);
    expect(strict.stdout).toMatch(/gates crossed: fraud evasion success \(score\) vs unguarded/);
    const rows = readFileSync(join(dir, 'adv.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]).toMatchObject({ y: 1, x: expect.any(Array) });
    expect(run('evasion', '--quick', '--gates', join(dir, 'lax.yaml'), '--out', dir).status).toBe(0);
    writeFileSync(join(dir, 'bad.yaml'), 'evasion: { maxSuccess: 2 }\n');
    const bad = run('evasion', '--quick', '--gates', join(dir, 'bad.yaml'), '--out', dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('evasion.maxSuccess: is not a known key');
    expect(run('sideways').stderr).toContain('attack needs one of extraction, membership, evasion, all');
  });
});
