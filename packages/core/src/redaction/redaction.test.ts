import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { parseOptions } from '../policy/schema.js';
import { builtinDetectors } from './detectors/index.js';
import { normalise, originalRange } from './normalize.js';
import { buildRedactor, redactionSchema } from './options.js';
import { compilePaths } from './paths.js';
import { compilePattern, PatternError } from './pattern.js';
import { createRedactor } from './redactor.js';
import { type Masking, partial, pseudonym, redactString } from './scan.js';
import { scrubAttributes, scrubText } from './scrub.js';

const KEY = new TextEncoder().encode('a test key of more than sixteen bytes');
const mask: Masking = { strategies: {}, defaultStrategy: 'mask', maskText: '[{detector}]', hashKey: KEY };
const red = (s: string, m: Masking = mask) => redactString(s, builtinDetectors, m).text;

describe('normalise', () => {
  it('maps full-width and Arabic-Indic digits, separators, format characters and look-alike letters, and finds the way back', () => {
    const input = 'x ４١\u200b2\u00a03\u2013jоhn';
    const n = normalise(input);
    expect(n.text).toBe('x 412 3-john');
    // "412" in the normalised text is "４١\u200b2" in the original (the zero-width space inside it included).
    const s = n.text.indexOf('412');
    expect(input.slice(...originalRange(n, s, s + 3))).toBe('４١\u200b2');
    expect(input.slice(...originalRange(n, 8, 12))).toBe('jоhn');
  });
  it('returns plain ASCII as it is, without a map', () => {
    const n = normalise('plain text 123');
    expect(n.text).toBe('plain text 123');
    expect(n.segStart).toBeUndefined();
  });
  it('keeps characters outside the basic plane whole', () => {
    const input = '😀 𝟒𝟏𝟏𝟏 1111 1111 1111';
    expect(normalise(input).text).toBe('😀 4111 1111 1111 1111');
    expect(red(input)).toBe('😀 [card]');
  });
});

describe('detectors', () => {
  const cases: [string, string][] = [
    ['write to maria.lopez+fraud@bank.example.co.uk today.', 'write to [email] today.'],
    ['ＪＯＨＮ＠ＥＸＡＭＰＬＥ．ＣＯＭ', '[email]'],
    ['not an address: user@localhost, @scope/pkg@1.2.3', 'not an address: user@localhost, @scope/pkg@1.2.3'],
    ['+1 (415) 555-2671 or 020 7946 0958 or +4930901820', '[phone] or [phone] or [phone]'],
    ['at 2024-01-15 10:30, order 1700000000, ISBN 978-3-16-148410-0', 'at 2024-01-15 10:30, order 1700000000, ISBN 978-3-16-148410-0'],
    ['4111 1111 1111 1111 and 4111-1111-1111-1112', '[card] and 4111-1111-1111-1112'],
    ['amex 3782 822463 10005, bare 5555555555554444', 'amex [card], bare [card]'],
    ['qty 2 4111 1111 1111 1111', 'qty 2 [card]'],
    ['GB82 WEST 1234 5698 7654 32 / gb82west12345698765432 / GB82 WEST 1234 5698 7654 33', '[iban] / [iban] / GB82 WEST 1234 5698 7654 33'],
    ['ssn 078-05-1120, not 666-12-3456 nor 900-12-3456', 'ssn [ssn], not 666-12-3456 nor 900-12-3456'],
    ['from 192.168.0.1:443 and [2001:db8::8a2e:370:7334]:80', 'from [ipv4]:443 and [[ipv6]]:80'],
    [
      'versions 1.2.3, 10.0.19045.3803, 256.1.1.1; mac 00:1A:2B:3C:4D:5E; std::vector',
      'versions 1.2.3, 10.0.19045.3803, 256.1.1.1; mac 00:1A:2B:3C:4D:5E; std::vector',
    ],
    ['key AKIAIOSFODNN7EXAMPLE and ghp_0123456789abcdefghijABCDEFGHIJ012345', 'key [api-key] and [api-key]'],
    ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl', 'Authorization: Bearer [jwt]'],
    ['db password=Tr0ub4dor&3x; token: none; api_key: [redacted]', 'db password=[credential]&3x; token: none; api_key: [redacted]'],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY----- after', '[private-key] after'],
    ['cut -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE', 'cut [private-key]'],
    [
      'secret 9sKd83LmQx7Zp4TnW1vR6yB0cHs5eJaQ in a log; uuid 123e4567-e89b-12d3-a456-426614174000',
      'secret [high-entropy] in a log; uuid 123e4567-e89b-12d3-a456-426614174000',
    ],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input.slice(0, 40))}…`, () => expect(red(input)).toBe(expected));
  }
  it('masks the original characters, Unicode included, and leaves the rest byte for byte', () => {
    expect(red('call ＋４４\u00a0２０\u00a0７９４６\u00a0０９５８ now ☎')).toBe('call [phone] now ☎');
    expect(red('card ４１１１\u200b１１１１\u2009１１１１ １１１１.')).toBe('card [card].');
  });
});

describe('masking strategies', () => {
  it('partial keeps the last four letters or digits and the separators', () => {
    expect(partial('4111-1111-1111-1111')).toBe('****-****-****-1111');
    expect(red('card 4111 1111 1111 1111', { ...mask, strategies: { card: 'partial' } })).toBe('card **** **** **** 1111');
  });
  it('hash gives the same pseudonym for the same value however it is written, and different ones for different values', () => {
    const h = { ...mask, defaultStrategy: 'hash' as const };
    const a = red('4111 1111 1111 1111', h);
    expect(a).toMatch(/^\[card:[0-9a-f]{12}\]$/);
    expect(red('４１１１-１１１１-１１１１-１１１１', h)).toBe(a);
    expect(red('5555 5555 5555 4444', h)).not.toBe(a);
    expect(pseudonym('email', 'Jo@Example.com', KEY)).toBe(pseudonym('email', 'jo@example.com', KEY));
    expect(pseudonym('email', 'jo@example.com', new TextEncoder().encode('another key, also long enough'))).not.toBe(pseudonym('email', 'jo@example.com', KEY));
  });
  it('remove deletes the value', () => expect(red('mail jo@example.com.', { ...mask, defaultStrategy: 'remove' })).toBe('mail .'));
});

describe('user patterns (linear-time engine)', () => {
  const matches = (pattern: string, text: string, o = {}) => {
    const out: string[] = [];
    compilePattern(pattern, o).scan(text, (s, e) => out.push(text.slice(s, e)));
    return out;
  };
  it('finds leftmost-longest, non-overlapping matches', () => {
    expect(matches('EMP-\\d{6}', 'EMP-004211 and EMP-12 and EMP-999999x')).toEqual(['EMP-004211', 'EMP-999999']);
    expect(matches('a|ab|abc', 'abcab')).toEqual(['abc', 'ab']);
    expect(matches('[A-Z]{2}\\d+', 'ab12 CD345 EF')).toEqual(['CD345']);
    expect(matches('\\bcase-\\d+\\b', 'case-12 mycase-13 case-14x case-15')).toEqual(['case-12', 'case-15']);
    expect(matches('(?:ab)+c?', 'xxababcab')).toEqual(['ababc', 'ab']);
    expect(matches('[^ ]+@corp', 'to: a.b@corp, c@corp')).toEqual(['a.b@corp', 'c@corp']);
    expect(matches('emp', 'EMP emp', { ignoreCase: true })).toEqual(['EMP', 'emp']);
    expect(matches('^id\\d$', 'id1')).toEqual(['id1']);
    expect(matches('^id\\d$', 'xid1')).toEqual([]);
  });
  it('caps a match at maxLength', () => {
    expect(matches('x+', 'x'.repeat(10), { maxLength: 4 })).toEqual(['xxxx', 'xxxx', 'xx']);
  });
  it('refuses what a linear engine cannot run, naming it', () => {
    for (const [p, msg] of [
      ['(a)\\1', /backreferences/],
      ['(?=a)', /lookaround/],
      ['a{1,1000}', /at most 100/],
      ['(', /missing "\)"/],
      ['*a', /nothing to apply/],
      ['é', /non-ASCII/],
      ['\\q', /unknown escape/],
    ] as const) {
      expect(() => compilePattern(p)).toThrow(PatternError);
      expect(() => compilePattern(p)).toThrow(msg);
    }
  });
});

describe('paths', () => {
  it('matches keys, *, ** and [i]', () => {
    const p = compilePaths(['cases.*.email', '**.password', 'a[*].b']);
    const walk = (...keys: string[]) => keys.reduce((s, k) => p.step(s, k), p.root).accepted;
    expect(walk('cases', '3', 'email')).toBe(0);
    expect(walk('cases', 'email')).toBe(-1);
    expect(walk('password')).toBe(1);
    expect(walk('x', 'y', 'password')).toBe(1);
    expect(walk('a', '0', 'b')).toBe(2);
  });
});

describe('redactor', () => {
  const r = (config: Partial<Parameters<typeof createRedactor>[0]> = {}) => createRedactor({ detectors: builtinDetectors, masking: mask, ...config });
  const doc = {
    label: 1,
    scores: [0.2, 0.8],
    cases: [
      { id: 'C-1', ssn: '078051120', customer: { name: 'Jo', email: 'jo@example.com', phone: 4155552671 }, note: 'card 4111111111111111' },
      { id: 'C-2', ssn: '078051121', customer: { name: 'Al', email: 'al@example.com' }, apiKey: 'abc', password: '' },
    ],
    'maria@example.com': 'keyed by an address',
  };
  it('masks detected values, credential-named keys and keys, and never changes its input', () => {
    const before = JSON.stringify(doc);
    const { value, report } = r({ deny: [{ path: 'cases.*.ssn', action: 'remove' }] }).redact(doc);
    expect(JSON.stringify(doc)).toBe(before);
    expect(value).toEqual({
      label: 1,
      scores: [0.2, 0.8],
      cases: [
        { id: 'C-1', customer: { name: 'Jo', email: '[email]', phone: 4155552671 }, note: 'card [card]' },
        { id: 'C-2', customer: { name: 'Al', email: '[email]' }, apiKey: '[secret-key]', password: '' },
      ],
      '[email]': 'keyed by an address',
    });
    expect(report.total).toBe(7);
    expect(Object.fromEntries(report.counts)).toEqual({
      'redacted\u0000cases.*.ssn': 2,
      'email\u0000cases.*.customer.email': 2,
      'card\u0000cases.*.note': 1,
      'secret-key\u0000cases.*.apiKey': 1,
      'email\u0000[email]': 1,
    });
  });
  it("replaces denied values by their rule's action, whatever they hold, and credential keys by their strategy", () => {
    const hashing = { ...mask, strategies: { 'secret-key': 'partial' as const } };
    const { value } = createRedactor({
      detectors: builtinDetectors,
      masking: hashing,
      deny: [
        { path: 'id', action: 'hash' },
        { path: 'account', action: 'partial' },
        { path: 'big', action: 'mask' },
        { path: 'nested', action: 'hash' },
      ],
    }).redact({ id: 'cust-0042', account: 'ACC-99887766', big: 12345678901234567890n, nested: { a: [1, 2] }, token: 'tok_abcdef123456' });
    const out = value as Record<string, string>;
    expect(out.id).toMatch(/^\[redacted:[0-9a-f]{12}\]$/);
    expect(out.account).toBe('***-****7766');
    expect(out.big).toBe('[redacted]');
    expect(out.nested).toMatch(/^\[redacted:[0-9a-f]{12}\]$/);
    expect(out.token).toBe('***_********3456');
  });

  it('keeps only allowed paths when an allow-list is given', () => {
    const { value, report } = r({ allow: ['label', 'cases.*.id', 'cases.*.customer.name'] }).redact(doc);
    expect(value).toEqual({
      label: 1,
      cases: [
        { id: 'C-1', customer: { name: 'Jo' } },
        { id: 'C-2', customer: { name: 'Al' } },
      ],
    });
    expect(report.dropped).toBeGreaterThan(0);
  });
  it('skips scanning where told, and scans long integers', () => {
    expect(r({ skip: ['cases.*.note'] }).redact(doc).value).toMatchObject({ cases: [{ note: 'card 4111111111111111' }, {}] });
    expect(r().redact({ pan: 4111111111111111, small: 12 }).value).toEqual({ pan: '[card]', small: 12 });
  });
  it('returns the same object when nothing is found', () => {
    const clean = { label: 2, scores: [0.1, 0.9], meta: { model: 'fraud', version: '1.2.3' } };
    expect(r().redact(clean).value).toBe(clean);
  });
  it('bounds depth (a cyclic or hostile structure) and keeps __proto__ an own key', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const out = r({ maxDepth: 8 }).redact(cyclic).value as Record<string, unknown>;
    expect(JSON.stringify(out)).toContain('[redacted]');
    const hostile = JSON.parse('{"__proto__": {"mail": "jo@example.com"}}');
    const cleaned = r().redact(hostile).value as Record<string, unknown>;
    expect(Object.getPrototypeOf(cleaned)).toBe(Object.prototype);
    expect(JSON.stringify(cleaned)).toBe('{"__proto__":{"mail":"[email]"}}');
  });
});

describe('options', () => {
  const build = (o: unknown, env = {}) => buildRedactor(parseOptions(redactionSchema, o, 'redact options'), 'redact options', env);
  it('refuses the hash strategy without a key of 16 bytes, a bad pattern, a bad path and an unknown strategy id', () => {
    expect(() => build({ strategy: 'hash' })).toThrow(/the hash strategy needs a key of 16\+ bytes/);
    expect(() => build({ strategy: 'hash', secret: 'short' })).toThrow(ConfigError);
    expect(build({ strategy: 'hash' }, { BULWARK_REDACT_SECRET: 'a key from the environment' }).masking.hashKey).toBeDefined();
    expect(() => build({ custom: [{ id: 'emp', pattern: '(a)\\1' }] })).toThrow(/custom\[0\]\.pattern: pattern: backreferences/);
    expect(() => build({ custom: [{ id: 'email', pattern: 'x' }] })).toThrow(/must differ from the built-in detectors/);
    expect(() => build({ deny: [{ path: 'a..b' }] })).toThrow(/each segment is a key/);
    expect(() => build({ strategies: { nope: 'mask' } })).toThrow(/must name a detector in use/);
  });
  it('runs custom detectors next to the built-in ones', () => {
    const { redactor } = build({ custom: [{ id: 'employee-id', pattern: '\\bEMP-\\d{6}\\b' }] });
    expect(redactor.redactText('EMP-004211 wrote jo@example.com').text).toBe('[employee-id] wrote [email]');
  });
});

describe('scrubber', () => {
  it('masks strings and string arrays in attributes, and keeps the object when clean', () => {
    const clean = { 'bulwark.guard.code': 'output_rounded', n: 3 };
    expect(scrubAttributes(clean)).toBe(clean);
    expect(scrubAttributes({ note: 'caller jo@example.com', list: ['ok', 'ghp_0123456789abcdefghijABCDEFGHIJ012345'], n: 3 })).toEqual({
      note: 'caller [email]',
      list: ['ok', '[api-key]'],
      n: 3,
    });
    expect(scrubText('refused key sk_live_0123456789abcdefABCDEF')).toBe('refused key [api-key]');
    // A frozen clean object is remembered; a mutable one is checked every time (it could change).
    const mutable: Record<string, string> = { note: 'fine' };
    expect(scrubAttributes(mutable)).toBe(mutable);
    mutable.note = 'now jo@example.com';
    expect(scrubAttributes(mutable)).toEqual({ note: 'now [email]' });
  });
});
