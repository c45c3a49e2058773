import { describe, expect, it } from 'vitest';
import { createBulwark } from '../../bulwark.js';
import { ConfigError } from '../../errors.js';
import { redact } from './index.js';

const caseHistory = (rows: number[][]) =>
  rows.map(() => ({
    label: 1,
    scores: [0.1, 0.9],
    cases: [
      { id: 'C-7', contact: { email: 'maria.lopez@example.com', phone: '+44 20 7946 0958' }, card: '4111 1111 1111 1111', ssn: '078-05-1120' },
      { id: 'C-9', contact: { email: 'al@example.org' }, notes: 'customer read out ４１１１\u200b１１１１ １１１１ １１１１ on the call' },
    ],
  }));

describe('redact guard', () => {
  it('redacts a structured output through the pipeline and records what it found by detector and path, never the values', async () => {
    const bulwark = createBulwark({
      guards: [redact({ deny: [{ path: '**.ssn', action: 'remove' }], strategies: { card: 'partial' } })],
    });
    const guarded = bulwark.wrap(caseHistory);
    const result = await guarded.run([[1, 2]], { principal: 'analyst' });
    expect(result.output).toEqual([
      {
        label: 1,
        scores: [0.1, 0.9],
        cases: [
          { id: 'C-7', contact: { email: '[email]', phone: '[phone]' }, card: '**** **** **** 1111' },
          { id: 'C-9', contact: { email: '[email]' }, notes: 'customer read out ******** **** 1111 on the call' }, // partial masks the normalised value,
        ],
      },
    ]);
    const d = result.decisions.find((x) => x.guard === 'redact');
    expect(d).toMatchObject({ action: 'modify', code: 'output_redacted', enforced: true });
    expect(d?.attributes?.['bulwark.redaction.total']).toBe(6);
    const detectors = d?.attributes?.['bulwark.redaction.detectors'] as string[];
    const paths = d?.attributes?.['bulwark.redaction.paths'] as string[];
    expect(detectors.map((x, i) => `${x}@${paths[i]}`).sort()).toEqual(
      ['card@*.cases.*.card', 'card@*.cases.*.notes', 'email@*.cases.*.contact.email', 'phone@*.cases.*.contact.phone', 'redacted@*.cases.*.ssn'].sort(),
    );
    expect(JSON.stringify(d)).not.toMatch(/maria|4111|7946|078-05/);
  });

  it('allows (no decision value change) when nothing is found, and only records in monitor mode', async () => {
    const clean = createBulwark({ guards: [redact({})] }).wrap(() => [{ label: 0, scores: [0.7, 0.3] }]);
    const r = await clean.run([[0]], { principal: 'p' });
    expect(r.decisions[0]?.action).toBe('allow');
    const monitored = await createBulwark({ mode: 'monitor', guards: [redact({})] })
      .wrap(caseHistory)
      .run([[0]], { principal: 'p' });
    expect(JSON.stringify(monitored.output)).toContain('maria.lopez@example.com');
    expect(monitored.decisions[0]).toMatchObject({ action: 'modify', enforced: false });
  });

  it('fails at construction on what it cannot run', () => {
    expect(() => redact({ custom: [{ id: 'bad', pattern: '(x+)\\1' }] })).toThrow(ConfigError);
    expect(() => redact({ strategy: 'hash' })).toThrow(/hash strategy needs a key/);
  });
});
