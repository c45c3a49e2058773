import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, isConfigError } from '../errors.js';
import { guardsFromPolicy, storesFromPolicy } from './build.js';
import { firstDuplicateKey } from './json.js';
import { loadPolicy, parsePolicy } from './policy.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-policy-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

async function issuesOf(fn: () => unknown): Promise<string[]> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect(isConfigError(e)).toBe(true);
    return (e as ConfigError).issues.map((i) => `${i.path}: ${i.rule} (received ${i.received}) [${i.code}]`);
  }
  throw new Error('expected a ConfigError');
}

describe('policy files', () => {
  it('loads YAML and JSON into the same policy', async () => {
    const yaml = await loadPolicy(file('p.yaml', 'version: 1\nmode: monitor\nguards:\n  - use: mask-output\n    with: { form: top-k, k: 2 }\n'));
    const json = await loadPolicy(
      file('p.json', JSON.stringify({ version: 1, mode: 'monitor', guards: [{ use: 'mask-output', with: { form: 'top-k', k: 2 } }] })),
    );
    expect(yaml).toEqual(json);
    expect(guardsFromPolicy(yaml).map((g) => g.name)).toEqual(['mask-output']);
  });

  it('names the code, the path, the rule and the value received for every problem, guards included, all at once', async () => {
    const issues = await issuesOf(() =>
      parsePolicy({
        version: 2,
        mode: 'dry',
        limits: { maxRows: 0, maxBody: 5 },
        auth: { apiKeys: [{ name: 'a', sha256: 'nothex' }] },
        guards: [{ use: 'mask-output', with: { form: 'top-k', k: 0 } }, { use: 'nope' }, { use: 'budget', with: { tiers: {} } }],
      }),
    );
    expect(issues).toEqual([
      'version: must be an integer <= 1 (received 2) [invalid_value]',
      'mode: must be one of "enforce", "monitor" (received "dry") [invalid_value]',
      'auth.apiKeys[0].sha256: must be the lowercase hex sha256 of the key (bulwark hash-key) (received "nothex") [invalid_value]',
      'limits.maxBody: is not a known key (known: maxBodyBytes, maxDepth, maxRows, maxElements, refusedRequests) (received 5) [unknown_key]',
      'limits.maxRows: must be an integer >= 1 (received 0) [invalid_value]',
      'guards[0].with.k: must be an integer >= 1 (received 0) [invalid_value]',
      'guards[1].use: must name a known guard (mask-output, budget, validate-input, ood, near-duplicates, extraction-detection, risk-response, feature-squeezing, canaries, dp-noise, reverse-sigmoid, redact, minimise-output) (received "nope") [unknown_guard]',
      'guards[2].with.tiers.default: is required (received undefined) [missing_key]',
    ]);
  });

  it('puts the file name and the docs in the message', async () => {
    const path = file('named.yaml', 'version: 1\nguards:\n  - use: mask-output\n    with: { form: blur }\n');
    await expect(loadPolicy(path)).rejects.toThrow(
      new RegExp(`${path.replaceAll('/', '\\/')} is invalid:[\\s\\S]*guards\\[0\\]\\.with\\.form[\\s\\S]*docs/errors.md`),
    );
  });

  it('rejects unknown top-level keys and missing version', async () => {
    expect(await issuesOf(() => parsePolicy({ gaurds: [] }))).toEqual([
      expect.stringMatching(/^gaurds: is not a known key.*\[unknown_key\]$/),
      'version: is required (received undefined) [missing_key]',
    ]);
  });

  it('applies per-guard name, mode, onError and timeout from the policy', () => {
    const [g] = guardsFromPolicy(
      parsePolicy({ version: 1, guards: [{ use: 'mask-output', name: 'labels', with: { form: 'label' }, mode: 'monitor', onError: 'allow', timeoutMs: 5 }] }),
    );
    expect([g?.name, g?.mode, g?.onError, g?.timeoutMs]).toEqual(['labels', 'monitor', 'allow', 5]);
  });

  it('keeps the options every guard has out of `with:`, and two guards of one kind need names', async () => {
    expect(await issuesOf(() => parsePolicy({ version: 1, guards: [{ use: 'mask-output', with: { form: 'label', mode: 'monitor' } }] }))).toEqual([
      expect.stringMatching(/^guards\[0\]\.with\.mode: is not a known key/),
    ]);
    expect(
      await issuesOf(() =>
        parsePolicy({
          version: 1,
          guards: [
            { use: 'mask-output', with: { form: 'label' } },
            { use: 'mask-output', with: { form: 'rounded' } },
          ],
        }),
      ),
    ).toEqual(['guards[1].name: two guards named "mask-output" (guards[0]): give one a name (received "mask-output") [conflict]']);
  });

  it('reports unparsable, missing and special files without echoing them', async () => {
    await expect(loadPolicy(file('bad.json', '{"version": 1,'))).rejects.toThrow(/must be valid JSON/);
    await expect(loadPolicy(file('bad.yaml', 'version: [1'))).rejects.toThrow(/must be valid YAML/);
    expect(await issuesOf(() => loadPolicy(join(dir, 'missing.yaml')))).toEqual([': file does not exist (received ENOENT) [unreadable]']);
    expect(await issuesOf(() => loadPolicy('/dev/zero'))).toEqual([': must be a regular file (received not a regular file) [unreadable]']);
  });

  it('refuses a duplicate key in JSON (JSON.parse would keep the last: a second auth block would win)', async () => {
    const twoAuth = `{"version":1,"auth":{"requireApiKey":true,"apiKeys":[{"name":"a","sha256":"${'a'.repeat(64)}"}]},"auth":{}}`;
    expect(await issuesOf(() => loadPolicy(file('dup.json', twoAuth)))).toEqual([
      'auth: appears twice in one object; JSON would keep only the last (received "auth") [duplicate_key]',
    ]);
    expect(await issuesOf(() => loadPolicy(file('dup.yaml', 'version: 1\nauth: {}\nauth: {}\n')))).toEqual([
      expect.stringMatching(/must be valid YAML.*\[duplicate_key\]$/),
    ]);
    expect(firstDuplicateKey('{"a":[{"x":1},{"y":{"k":"\\"","k":2}}]}')).toEqual({ path: 'a[1].y.k', key: 'k' });
    expect(firstDuplicateKey('{"a":{"b":1},"c":{"b":1},"s":"{\\"b\\":1,\\"b\\":2}"}')).toBeUndefined();
  });
});

describe('plugins', () => {
  const pluginDir = join(dir, 'plugins');
  mkdirSync(pluginDir, { recursive: true });
  const core = new URL('../index.ts', import.meta.url).href;
  writeFileSync(
    join(pluginDir, 'odd-rows.mjs'),
    `import { defineGuard, s } from ${JSON.stringify(core)};
export const oddRows = defineGuard({
  use: 'odd-rows',
  schema: s.object({ max: s.default(s.int({ min: 1 }), 3) }),
  create: (o) => ({ name: 'odd-rows', beforeInference: (ctx) => (ctx.queries > o.max ? { action: 'deny', code: 'forbidden', message: 'too many rows' } : undefined) }),
});
export const notAGuard = 42;
`,
  );
  writeFileSync(join(pluginDir, 'empty.mjs'), 'export const x = 1;\n');

  it('loads guard definitions from modules next to the policy and validates their options like built-ins', async () => {
    const ok = await loadPolicy(file('plug.yaml', 'version: 1\nplugins: [./plugins/odd-rows.mjs]\nguards:\n  - use: odd-rows\n    with: { max: 2 }\n'));
    const [g] = guardsFromPolicy(ok);
    expect(g?.name).toBe('odd-rows');
    expect(
      await issuesOf(() =>
        loadPolicy(file('plug-bad.yaml', 'version: 1\nplugins: [./plugins/odd-rows.mjs]\nguards:\n  - use: odd-rows\n    with: { max: 0 }\n')),
      ),
    ).toEqual(['guards[0].with.max: must be an integer >= 1 (received 0) [invalid_value]']);
  });

  it('names a missing plugin, a module without guards, and a path that is not relative', async () => {
    expect(await issuesOf(() => loadPolicy(file('p1.yaml', 'version: 1\nplugins: [./plugins/nope.mjs, ./plugins/empty.mjs]\n')))).toEqual([
      'plugins[0]: file does not exist (resolved against the policy file) (received "./plugins/nope.mjs") [invalid_plugin]',
      'plugins[1]: exports no guard definition (made with defineGuard) (received "./plugins/empty.mjs") [invalid_plugin]',
    ]);
    expect(await issuesOf(() => parsePolicy({ version: 1, plugins: ['some-package'] }))).toEqual([
      expect.stringMatching(/^plugins\[0\]: must be a path starting with/),
    ]);
    expect(await issuesOf(() => parsePolicy({ version: 1, plugins: ['./x.mjs'] }))).toEqual([expect.stringMatching(/\[invalid_plugin\]$/)]);
  });
});

describe('budget in policy files', () => {
  it('builds a budget guard on a named store, and names a missing store', async () => {
    const policy = parsePolicy({
      version: 1,
      stores: { local: { type: 'memory', maxKeys: 1000 } },
      guards: [{ use: 'budget', with: { store: 'local', tiers: { default: { rate: { limit: 5, per: 'second' }, quotas: [{ limit: 100, per: 'day' }] } } } }],
    });
    const [g] = guardsFromPolicy(policy, { stores: storesFromPolicy(policy) });
    expect(g?.name).toBe('budget');
    const bad = parsePolicy({ version: 1, guards: [{ use: 'budget', with: { store: 'nowhere', tiers: { default: {} } } }] });
    expect(await issuesOf(() => guardsFromPolicy(bad, { stores: storesFromPolicy(bad) }))).toEqual([
      'guards[0].with.store: must name a store of the policy (memory) (received "nowhere") [unknown_store]',
    ]);
    expect(await issuesOf(() => parsePolicy({ version: 1, stores: { r: { type: 'redis', url: 'http://x' } } }))).toEqual([
      'stores.r.url: must be a redis:// or rediss:// URL (received "http://x") [invalid_value]',
    ]);
    expect(() => storesFromPolicy(parsePolicy({ version: 1, stores: { r: { type: 'redis', url: 'redis://x' } } }))).toThrow(
      /redis stores need a redis factory/,
    );
  });

  it('refuses an API-key tier the budget does not define (no silent fall back to default)', async () => {
    const policy = parsePolicy({
      version: 1,
      auth: { apiKeys: [{ name: 'a', sha256: 'a'.repeat(64), tier: 'gold' }] },
      guards: [{ use: 'budget', with: { tiers: { default: { quotas: [{ limit: 10, per: 'day' }] } } } }],
    });
    expect(await issuesOf(() => guardsFromPolicy(policy))).toEqual([
      'guards[0].with.tiers.gold: is a tier of an API key, so the budget must define it (no silent fall back to default) (received undefined) [unknown_tier]',
    ]);
  });
});
