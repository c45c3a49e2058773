import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { guardsFromPolicy, loadPolicy, parsePolicy } from './policy.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-policy-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues.map((i) => `${i.path}: ${i.rule} (received ${i.received})`);
  }
  throw new Error('expected a ConfigError');
}

describe('policy files', () => {
  it('loads YAML and JSON into the same policy', () => {
    const yaml = loadPolicy(file('p.yaml', 'version: 1\nmode: monitor\nguards:\n  - use: mask-output\n    with: { form: top-k, k: 2 }\n'));
    const json = loadPolicy(file('p.json', JSON.stringify({ version: 1, mode: 'monitor', guards: [{ use: 'mask-output', with: { form: 'top-k', k: 2 } }] })));
    expect(yaml).toEqual(json);
    expect(guardsFromPolicy(yaml).map((g) => g.name)).toEqual(['mask-output']);
  });

  it('names the path, the rule and the value received for every problem', () => {
    const issues = issuesOf(() =>
      parsePolicy({ version: 2, mode: 'dry', limits: { maxRows: 0, maxBody: 5 }, auth: { apiKeys: [{ name: 'a', sha256: 'nothex' }] } }),
    );
    expect(issues).toEqual([
      'version: must be an integer <= 1 (received 2)',
      'mode: must be one of "enforce", "monitor" (received "dry")',
      'auth.apiKeys[0].sha256: must be the lowercase hex sha256 of the key (bulwark hash-key) (received "nothex")',
      'limits.maxBody: is not a known key (known: maxBodyBytes, maxDepth, maxRows, maxElements) (received 5)',
      'limits.maxRows: must be an integer >= 1 (received 0)',
    ]);
  });

  it('rejects unknown top-level keys and missing version', () => {
    expect(issuesOf(() => parsePolicy({ gaurds: [] }))).toEqual([
      expect.stringMatching(/^gaurds: is not a known key/),
      'version: is required (received undefined)',
    ]);
  });

  it("validates a guard's options with the guard's own schema", () => {
    const policy = parsePolicy({ version: 1, guards: [{ use: 'mask-output', with: { form: 'top-k', k: 0 } }, { use: 'nope' }] });
    expect(issuesOf(() => guardsFromPolicy(policy))).toEqual([
      'guards[0].with.k: must be an integer >= 1 (received 0)',
      'guards[1].use: must name a known guard (mask-output, budget) (received "nope")',
    ]);
  });

  it('applies per-guard mode, onError and timeout from the policy', () => {
    const [g] = guardsFromPolicy(
      parsePolicy({ version: 1, guards: [{ use: 'mask-output', with: { form: 'label' }, mode: 'monitor', onError: 'allow', timeoutMs: 5 }] }),
    );
    expect([g?.mode, g?.onError, g?.timeoutMs]).toEqual(['monitor', 'allow', 5]);
  });

  it('reports unparsable files without echoing them', () => {
    expect(() => loadPolicy(file('bad.json', '{"version": 1,'))).toThrow(/must be valid JSON/);
    expect(() => loadPolicy(file('bad.yaml', 'version: [1'))).toThrow(/must be valid YAML/);
  });
});

describe('budget in policy files', () => {
  it('builds a budget guard on a named store, and names a missing store', async () => {
    const { storesFromPolicy } = await import('./policy.js');
    const policy = parsePolicy({
      version: 1,
      stores: { local: { type: 'memory', maxKeys: 1000 } },
      guards: [{ use: 'budget', with: { store: 'local', tiers: { default: { rate: { limit: 5, per: 'second' }, quotas: [{ limit: 100, per: 'day' }] } } } }],
    });
    const [g] = guardsFromPolicy(policy, undefined, { stores: storesFromPolicy(policy) });
    expect(g?.name).toBe('budget');
    const bad = parsePolicy({ version: 1, guards: [{ use: 'budget', with: { store: 'nowhere', tiers: { default: {} } } }] });
    expect(issuesOf(() => guardsFromPolicy(bad, undefined, { stores: storesFromPolicy(bad) }))).toEqual([
      'guards[0].with.store: must name a store in the policy\'s stores (memory) (received "nowhere")',
    ]);
    expect(issuesOf(() => parsePolicy({ version: 1, stores: { r: { type: 'redis', url: 'http://x' } } }))).toEqual([
      'stores.r.url: must be a redis:// or rediss:// URL (received "http://x")',
    ]);
    expect(() => storesFromPolicy(parsePolicy({ version: 1, stores: { r: { type: 'redis', url: 'redis://x' } } }))).toThrow(
      /redis stores need a redis factory/,
    );
  });
});
