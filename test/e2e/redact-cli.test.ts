/** `bulwark redact`: JSON in, redacted JSON out, by a policy's rules or the built-in detectors. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';

const redact = (input: string, ...args: string[]) => spawnSync(process.execPath, [BIN, 'redact', ...args], { input, encoding: 'utf8', timeout: 60_000 });
const CASES_POLICY = fileURLToPath(new URL('../../examples/fraud-express/cases-policy.yaml', import.meta.url));

it('redacts a document with the built-in detectors and reports counts, never values', () => {
  const r = redact(JSON.stringify({ note: 'call +44 20 7946 0958', apiKey: 'k', cards: ['4111 1111 1111 1111'] }), '--report');
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({ note: 'call [phone]', apiKey: '[secret-key]', cards: ['[card]'] });
  expect(r.stderr).toContain('card  at cards.*');
  expect(r.stderr).not.toMatch(/7946|4111/);
});

it("applies the policy's redact rules to JSON Lines", () => {
  const lines = [
    JSON.stringify({ customer: { name: 'Maria', ssn: '078-05-1120', email: 'maria@example.com' }, card: '4111 1111 1111 1111' }),
    '',
    JSON.stringify({ customer: { name: 'Al' } }),
  ].join('\n');
  const r = redact(lines, '--jsonl', '--policy', CASES_POLICY);
  expect(r.status).toBe(0);
  expect(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
  ).toEqual([{ customer: { name: 'Maria', email: '[email]' }, card: '**** **** **** 1111' }, { customer: { name: 'Al' } }]);
});

it('refuses input that is not JSON without echoing it, and a policy without redact rules', () => {
  const bad = redact('{"token": "sk_live_0123456789abcdefABCDEF" oops');
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/stdin is not valid JSON \(at character \d+\)/);
  expect(bad.stderr).not.toContain('sk_live');
  const badLine = redact('{"a":1}\n{"b": "jo@example.com" x}\n', '--jsonl');
  expect(badLine.status).toBe(1);
  expect(badLine.stderr).toContain('line 2 is not valid JSON');
  expect(badLine.stderr).not.toContain('jo@example.com');
  const noRules = redact('{}', '--policy', fileURLToPath(new URL('../../examples/custom-guard/policy.yaml', import.meta.url)));
  expect(noRules.status).toBe(2);
  expect(noRules.stderr).toContain('has no guard with `use: redact`');
});
