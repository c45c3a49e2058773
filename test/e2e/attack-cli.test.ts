/**
 * `bulwark attack` as a user runs it: it starts `bulwark serve` for each policy (or attacks a
 * running server with its data), attacks over HTTP, writes reports that render in a real browser
 * with titled, labelled charts, and exits 1 when a gate is crossed and 3 when a gate measured
 * nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chromiumPath, dumpDom } from '../helpers/browser.js';
import { BIN, startCli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTEFACTS = join(ROOT, 'reports', 'test-artefacts');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'attack', ...args, '--no-progress'], { encoding: 'utf8', cwd: ROOT, timeout: 300_000 });

describe('bulwark attack', () => {
  it('attacks unguarded and guarded servers, deterministically; the HTML report renders with titled, labelled charts', () => {
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
    expect([...new Set(parsed.runs.map((r: { target: string }) => r.target))]).toEqual(['unguarded', 'label-only']);
    expect(new Set(parsed.runs.map((r: { result: { attack: string } }) => r.result.attack))).toEqual(
      new Set(['extraction', 'membership', 'lira', 'label-only', 'evasion', 'transfer']),
    );
    const membership = parsed.runs.filter((r: any) => r.result.attack === 'membership');
    expect(membership[0].result.attacks.confidence.auc.value).toBeGreaterThan(0.6);
    expect(membership[1].result.attacks.confidence.auc.value).toBe(0.5);
    expect(parsed.attacker.identities).toMatch(/one identity/);

    const md = readFileSync(join(out1, 'attack-all.md'), 'utf8');
    // The verdict and what the attacker held come first; every headline has an interval and n.
    expect(md.indexOf('## Verdict')).toBeLessThan(md.indexOf('## What the attacker held'));
    expect(md.indexOf('## What the attacker held')).toBeLessThan(md.indexOf('## Attacks'));
    expect(md).toMatch(/\| fraud \| extraction \(active\) \| label-only \| fidelity 0\.\d{3} \[0\.\d\d, [01]\.\d\d\] \(n 1000\) \| [−+±]0\.\d{3} \[/);

    const html = join(out1, 'attack-all.html');
    const dom = dumpDom(html);
    const plots = dom.match(/<svg class="plot"[\s\S]*?<\/svg>/g) ?? [];
    // extraction; membership ROC, LiRA ROC, label-only ROC; evasion × 3 methods; transfer; utility × 2 models
    expect(plots.length).toBe(10);
    expect(dom).toContain(`data-rendered="${plots.length}"`);
    for (const svg of plots) {
      expect(svg).toMatch(/<text class="title"[^>]*>[^<]{5,}<\/text>/);
      expect(svg).toMatch(/<text class="axis-label x"[^>]*>[^<]{3,}<\/text>/);
      expect(svg).toMatch(/<text class="axis-label y"[^>]*>[^<]{3,}<\/text>/);
    }
    expect(dom).toContain('constant clone (majority class)'); // the baseline is drawn
    expect(dom).toMatch(/(false|true) positive rate \(log scale\)/); // ROC on log-log axes
    // A screenshot for the test artefacts (a person can look at what the browser drew).
    mkdirSync(ARTEFACTS, { recursive: true });
    const shot = join(ARTEFACTS, 'attack-report.png');
    spawnSync(
      chromiumPath(),
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--hide-scrollbars',
        `--user-data-dir=${mkdtempSync(join(tmpdir(), 'chromium-'))}`,
        '--window-size=1280,6000',
        `--screenshot=${shot}`,
        `file://${html}`,
      ],
      { timeout: 60_000, stdio: 'ignore' },
    );
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
  }, 600_000); // two quick attack runs in child processes (40-50 s on the 2-core machine, more under load): a time budget, not a check

  it('exits 1 when a gate is crossed, 0 when all pass, 3 when a gate names a target that did not run; exports adversarial examples', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gates-'));
    writeFileSync(join(dir, 'strict.yaml'), 'evasion: { maxSuccessRate: 0.0 }\ntargets: [unguarded]\n');
    writeFileSync(join(dir, 'lax.yaml'), 'evasion: { maxSuccessRate: 1.0 }\ntargets: [unguarded]\n');
    writeFileSync(join(dir, 'typo.yaml'), 'evasion: { maxSuccessRate: 1.0 }\ntargets: [unguraded]\n');
    const strict = run('evasion', '--quick', '--gates', join(dir, 'strict.yaml'), '--out', dir, '--export', join(dir, 'adv.jsonl'));
    expect(strict.status).toBe(1);
    expect(strict.stdout).toMatch(/gates crossed: .*fraud evasion success \(score\) vs unguarded \d\.\d{3} > 0/);
    const rows = readFileSync(join(dir, 'adv.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]).toMatchObject({ y: 1, x: expect.any(Array) });
    expect(run('evasion', '--quick', '--gates', join(dir, 'lax.yaml'), '--out', dir).status).toBe(0);
    const typo = run('evasion', '--quick', '--gates', join(dir, 'typo.yaml'), '--out', dir);
    expect(typo.status).toBe(3);
    expect(typo.stdout).toContain('gates inconclusive: evasion gate vs unguraded: missing (no target named unguraded)');
    writeFileSync(join(dir, 'bad.yaml'), 'evasion: { maxSuccess: 2 }\n');
    const bad = run('evasion', '--quick', '--gates', join(dir, 'bad.yaml'), '--out', dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('evasion.maxSuccess: is not a known key');
    expect(run('sideways').stderr).toContain('attack needs one of extraction, membership, evasion, averaging, all');
  });

  it('a gated run against a server that refuses every query exits 3 and says "inconclusive", never a pass', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'refused-'));
    // The server requires listed keys; the attacker holds none of them: every query is a 401.
    const server = await startCli(['--model', join(ROOT, 'packages/models/artifacts/fraud.onnx'), '--policy', join(ROOT, 'policies/budget.yaml')]);
    try {
      writeFileSync(join(dir, 'gates.yaml'), 'extraction: { maxFidelity: 0.5 }\ntargets: [target]\n');
      const r = run('extraction', '--quick', '--target', server.url, '--key', 'sk_not_listed', '--gates', join(dir, 'gates.yaml'), '--out', dir);
      expect(r.status).toBe(3);
      expect(r.stdout).toMatch(/fidelity not measured \(0 answered of \d+ rows sent \(needs 50\); refusals unauthorized×\d+; the attacker gave up\)/);
      expect(r.stdout).toMatch(/gates inconclusive: fraud extraction fidelity vs target: inconclusive/);
      expect(r.stdout).toContain('**INCONCLUSIVE**');
      expect(r.stdout).not.toMatch(/fidelity 0\.000/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('attacks a model it has never seen through --target and --data: fidelity with n and an interval, any attacker share', async () => {
    // Logistic regression on sklearn's wine data, exported by packages/models/train/train.py --wine-fixture.
    const wine = join(ROOT, 'test/fixtures/wine');
    const server = await startCli(['--model', join(wine, 'wine.onnx')]);
    const dir = mkdtempSync(join(tmpdir(), 'wine-'));
    try {
      const r = run('extraction', '--quick', '--target', server.url, '--data', join(wine, 'wine.csv'), '--queries', '500', '--out', dir);
      expect(r.status).toBe(0);
      const report = JSON.parse(readFileSync(join(dir, 'attack-extraction.json'), 'utf8'));
      const res = report.runs[0].result;
      expect(report.runs[0].model).toBe('wine');
      expect(res.fidelity.n).toBe(89); // the half of 178 rows the attacker does not hold
      expect(res.fidelity.value).toBeGreaterThan(0.8);
      expect(res.fidelity.lo).toBeLessThan(res.fidelity.value);
      expect(res.fidelity.hi).toBeGreaterThanOrEqual(res.fidelity.value);
      expect(report.attacker.data).toMatch(/89 rows of the data file \(50%\)/);
      // Data-free: no rows, uniform queries in the feature box.
      const free = run(
        'extraction',
        '--quick',
        '--target',
        server.url,
        '--data',
        join(wine, 'wine.csv'),
        '--data-share',
        '0',
        '--queries',
        '500',
        '--out',
        dir,
      );
      expect(free.status).toBe(0);
      const freeReport = JSON.parse(readFileSync(join(dir, 'attack-extraction.json'), 'utf8'));
      expect(freeReport.runs[0].result.strategy).toBe('random');
      expect(freeReport.runs[0].result.fidelity.n).toBe(178);
      // Evasion against it too: any model, with the data's feature scale.
      const ev = run('evasion', '--quick', '--target', server.url, '--data', join(wine, 'wine.csv'), '--out', dir);
      expect(ev.status).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, 'attack-evasion.json'), 'utf8')).runs.map((x: any) => x.result.attack)).toEqual([
        'transfer',
        'evasion',
        'evasion',
        'evasion',
      ]);
      // Usage errors name the problem.
      expect(run('extraction', '--data', join(wine, 'wine.csv')).stderr).toContain('--data attacks a running server: give its --target URL');
      writeFileSync(join(dir, 'bad.csv'), 'a,b\n1,2\n');
      const bad = run('extraction', '--target', server.url, '--data', join(dir, 'bad.csv'));
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('has no "label" column');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
