/**
 * The labelled corpus the detectors are judged on (test/redaction/corpus.test.ts, `pnpm redaction`):
 * for every built-in detector, positives planted in sentences (plain, and in the Unicode forms
 * personal data takes in the wild: full-width and Arabic-Indic digits, zero-width characters inside
 * a value, no-break spaces and en dashes as separators, Cyrillic letters that look Latin), and one
 * pool of hard negatives that look like them and are not (numbers failing Luhn, timestamps, UUIDs,
 * versions, ISBNs, amounts, digests, identifiers). Generated from a seed, so every run judges the
 * same items; `size` scales it.
 */
import { builtinDetectors, locateMatches } from '@bulwark/core';

export interface Positive {
  readonly detector: string;
  readonly variant: string;
  readonly text: string;
  /** Where the planted value is in `text` (code units). */
  readonly start: number;
  readonly end: number;
}

export interface Negative {
  readonly kind: string;
  readonly text: string;
}

/** mulberry32: test data only (the product draws from node:crypto). */
function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const chars = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  return { next, int, pick, chars };
}
type Rng = ReturnType<typeof seeded>;

const DIGITS = '0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = UPPER + LOWER + DIGITS;
const B64URL = `${ALNUM}-_`;

function luhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

// Unicode variants: applied to the planted value only.
const fullWidth = (s: string) => s.replace(/[0-9@.]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
const arabicIndic = (s: string) => s.replace(/[0-9]/g, (c) => String.fromCharCode(0x660 + c.charCodeAt(0) - 48));
const zeroWidth = (s: string, r: Rng) => {
  const at = r.int(1, s.length - 1);
  return `${s.slice(0, at)}${r.pick(['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad'])}${s.slice(at)}`;
};
const nbsp = (s: string) => s.replace(/ /g, '\u00a0');
/** One separator replaced by a zero-width space (groups then read as one). */
const zeroWidthSeparator = (s: string) => s.replace(/[ -](?=\d)/, '\u200b');
const thinSpace = (s: string) => s.replace(/ /g, '\u2009');
const enDash = (s: string) => s.replace(/-/g, '\u2013');
const cyrillic = (s: string) => s.replace(/[aeopcx]/, (c) => ({ a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', x: 'х' })[c] as string);

const CONTEXTS = [
  (v: string) => `Customer contact: ${v}.`,
  (v: string) => `${v}`,
  (v: string) => `note from agent (2024-03-02): please verify ${v} before refund`,
  (v: string) => `{"field":"${v}"}`,
  (v: string) => `Kunde: ${v}, Rückruf erbeten`,
  (v: string) => `顧客の連絡先 ${v} です`,
  (v: string) => `العميل ${v} تم التحقق`,
  (v: string) => `Клиент: ${v}; статус`,
  (v: string) => `case #4471 | ${v} | escalated`,
];

type Gen = (r: Rng) => string;

const generators: Record<string, { readonly make: Gen; readonly variants: readonly [string, (v: string, r: Rng) => string][] }> = {
  email: {
    make: (r) =>
      `${r.pick(['john.doe', 'a.b_c+tag', 'maria', 'k.o', `user${r.int(1, 999)}`, 'first.last', 'Z.Q'])}@${r.pick(['example.com', 'mail.example.co.uk', 'corp-mail.example.org', 'sub.domain.example.io', 'xn--bcher-kva.example'])}`,
    variants: [
      ['plain', (v) => v],
      ['upper', (v) => v.toUpperCase()],
      ['full-width', fullWidth],
      ['zero-width', zeroWidth],
      ['cyrillic', cyrillic],
    ],
  },
  phone: {
    make: (r) => {
      const d = (n: number) => r.chars(DIGITS, n);
      const area = `${r.int(2, 9)}${d(2)}`;
      const ex = `${r.int(2, 9)}${d(2)}`;
      return r.pick([
        `+1 ${area} ${ex} ${d(4)}`,
        `+1 (${area}) ${ex}-${d(4)}`,
        `+1${area}${ex}${d(4)}`,
        `+44 20 ${d(4)} ${d(4)}`,
        `+49 30 ${d(6)}`,
        `+33 1 ${d(2)} ${d(2)} ${d(2)} ${d(2)}`,
        `+81 3-${d(4)}-${d(4)}`,
        `+91 ${r.int(6, 9)}${d(4)} ${d(5)}`,
        `0044 20 ${d(4)} ${d(4)}`,
        `(${area}) ${ex}-${d(4)}`,
        `${area}-${ex}-${d(4)}`,
        `${area}.${ex}.${d(4)}`,
        `020 ${d(4)} ${d(4)}`,
        `07700 ${d(6)}`,
      ]);
    },
    variants: [
      ['plain', (v) => v],
      ['full-width', fullWidth],
      ['arabic-indic', arabicIndic],
      ['zero-width', zeroWidth],
      ['no-break space', nbsp],
      ['en dash', enDash],
      ['zero-width separator', zeroWidthSeparator],
    ],
  },
  card: {
    make: (r) => {
      const [prefix, len] = r.pick([
        ['4', 16],
        ['4', 13],
        ['51', 16],
        ['55', 16],
        ['2221', 16],
        ['2720', 16],
        ['34', 15],
        ['37', 15],
        ['6011', 16],
        ['65', 16],
        ['3530', 16],
        ['36', 14],
        ['62', 19],
      ] as const);
      const body = prefix + r.chars(DIGITS, len - prefix.length - 1);
      const pan = body + luhnDigit(body);
      if (len === 16 && r.next() < 0.6) {
        const sep = r.pick([' ', '-']);
        return pan.match(/.{4}/g)?.join(sep) as string;
      }
      if (len === 15 && r.next() < 0.5) return `${pan.slice(0, 4)} ${pan.slice(4, 10)} ${pan.slice(10)}`;
      return pan;
    },
    variants: [
      ['plain', (v) => v],
      ['full-width', fullWidth],
      ['arabic-indic', arabicIndic],
      ['zero-width', zeroWidth],
      ['no-break space', nbsp],
      ['thin space', thinSpace],
      ['en dash', enDash],
      ['zero-width separator', zeroWidthSeparator],
    ],
  },
  iban: {
    make: (r) => {
      const [cc, bban] = r.pick([
        ['DE', () => r.chars(DIGITS, 18)],
        ['GB', () => r.chars(UPPER, 4) + r.chars(DIGITS, 14)],
        ['FR', () => r.chars(DIGITS, 10) + r.chars(UPPER + DIGITS, 11) + r.chars(DIGITS, 2)],
        ['ES', () => r.chars(DIGITS, 20)],
        ['NL', () => r.chars(UPPER, 4) + r.chars(DIGITS, 10)],
        ['BE', () => r.chars(DIGITS, 12)],
        ['IT', () => r.chars(UPPER, 1) + r.chars(DIGITS, 10) + r.chars(UPPER + DIGITS, 12)],
        ['PL', () => r.chars(DIGITS, 24)],
      ] as const);
      const b = bban();
      const numeric = `${b}${cc}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
      let rem = 0;
      for (const ch of numeric) rem = (rem * 10 + Number(ch)) % 97;
      const check = String(98 - rem).padStart(2, '0');
      const iban = `${cc}${check}${b}`;
      return r.next() < 0.5 ? iban : (iban.match(/.{1,4}/g)?.join(' ') as string);
    },
    variants: [
      ['plain', (v) => v],
      ['lower', (v) => v.toLowerCase()],
      ['full-width', fullWidth],
      ['zero-width', zeroWidth],
      ['no-break space', nbsp],
    ],
  },
  ssn: {
    make: (r) => {
      let area = r.int(1, 899);
      if (area === 666) area = 665;
      const sep = r.pick(['-', '-', ' ']);
      return `${String(area).padStart(3, '0')}${sep}${String(r.int(1, 99)).padStart(2, '0')}${sep}${String(r.int(1, 9999)).padStart(4, '0')}`;
    },
    variants: [
      ['plain', (v) => v],
      ['full-width', fullWidth],
      ['arabic-indic', arabicIndic],
      ['zero-width', zeroWidth],
      ['en dash', enDash],
    ],
  },
  ipv4: {
    make: (r) => `${r.int(1, 255)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)}${r.pick(['', '', ':8080', ':443'])}`,
    variants: [
      ['plain', (v) => v],
      ['full-width', fullWidth],
    ],
  },
  ipv6: {
    make: (r) => {
      const h = () => r.int(0, 0xffff).toString(16);
      return r.pick([
        Array.from({ length: 8 }, h).join(':'),
        `2001:db8::${h()}`,
        `fe80::${h()}:${h()}:${h()}:${h()}`,
        '::1',
        `::ffff:192.0.2.${r.int(1, 254)}`,
        `2001:db8:${h()}:${h()}::${h()}`,
      ]);
    },
    variants: [
      ['plain', (v) => v],
      ['upper', (v) => v.toUpperCase()],
    ],
  },
  'api-key': {
    make: (r) =>
      r.pick([
        () => `AKIA${r.chars(UPPER + DIGITS, 16)}`,
        () => `ghp_${r.chars(ALNUM, 36)}`,
        () => `github_pat_${r.chars(ALNUM, 22)}_${r.chars(ALNUM, 59)}`,
        () => `glpat-${r.chars(`${ALNUM}-_`, 20)}`,
        () => `xoxb-${r.chars(DIGITS, 11)}-${r.chars(DIGITS, 12)}-${r.chars(ALNUM, 24)}`,
        () => `sk_live_${r.chars(ALNUM, 24)}`,
        () => `AIza${r.chars(`${ALNUM}-_`, 35)}`,
        () => `sk-proj-${r.chars(`${ALNUM}-_`, 48)}`,
        () => `sk-ant-api03-${r.chars(`${ALNUM}-_`, 93)}`,
        () => `npm_${r.chars(ALNUM, 36)}`,
        () => `hf_${r.chars(ALNUM, 34)}`,
        () => `SG.${r.chars(`${ALNUM}-_`, 22)}.${r.chars(`${ALNUM}-_`, 43)}`,
      ])(),
    variants: [
      ['plain', (v) => v],
      ['zero-width', zeroWidth],
      ['cyrillic', cyrillic],
    ],
  },
  jwt: {
    make: (r) => {
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${enc({ alg: r.pick(['HS256', 'RS256', 'ES256']), typ: 'JWT' })}.${enc({ sub: String(r.int(1, 1e9)), iat: 1700000000 + r.int(0, 1e6) })}.${r.chars(B64URL, r.pick([43, 86, 342]))}`;
    },
    variants: [
      ['plain', (v) => v],
      ['zero-width', zeroWidth],
    ],
  },
  'private-key': {
    make: (r) => {
      const label = r.pick(['RSA PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']);
      const body = Array.from({ length: r.int(2, 8) }, () => r.chars(`${ALNUM}+/`, 64)).join('\n');
      return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;
    },
    variants: [
      ['plain', (v) => v],
      ['truncated', (v) => v.slice(0, v.indexOf('\n-----END'))],
    ],
  },
  credential: {
    make: (r) => {
      const value = r.chars(`${ALNUM}!#$%^*`, r.int(8, 24));
      return r.pick([
        `password=${value}`,
        `passwd: ${value}`,
        `"api_key": "${value}"`,
        `client_secret=${value}`,
        `Authorization: Basic ${value}`,
        `token: ${value}`,
        `PASSWORD = '${value}'`,
      ]);
    },
    variants: [['plain', (v) => v]],
  },
  'high-entropy': {
    make: (r) => {
      for (;;) {
        const v = r.pick([
          () => r.chars(`${ALNUM}+/`, 40),
          () => r.chars(ALNUM, r.int(32, 64)),
          () => Buffer.from(Array.from({ length: 33 }, () => r.int(0, 255))).toString('base64'),
        ])();
        // The detector's definition: upper, lower and digits present.
        if (/[A-Z]/.test(v) && /[a-z]/.test(v) && /[0-9]/.test(v)) return v;
      }
    },
    variants: [['plain', (v) => v]],
  },
};

/** Where, in a credential positive, the secret value is (the name stays). */
function valueSpan(detector: string, value: string): [number, number] {
  if (detector === 'ipv4') return [0, value.includes(':') ? value.indexOf(':') : value.length]; // the port is not the address
  if (detector !== 'credential') return [0, value.length];
  const m = /^(?:password=|passwd: |"api_key": "|client_secret=|Authorization: Basic |token: |PASSWORD = ')/.exec(value);
  const s = m ? m[0].length : 0;
  const e = value.endsWith('"') || value.endsWith("'") ? value.length - 1 : value.length;
  return [s, e];
}

export function positives(perVariant = 40, seed = 7): Positive[] {
  const r = seeded(seed);
  const out: Positive[] = [];
  for (const [detector, g] of Object.entries(generators)) {
    for (const [variant, apply] of g.variants) {
      for (let k = 0; k < perVariant; k++) {
        const raw = g.make(r);
        const [vs, ve] = valueSpan(detector, raw);
        const planted = raw.slice(0, vs) + apply(raw.slice(vs, ve), r) + raw.slice(ve);
        const context = detector === 'private-key' || detector === 'credential' ? (v: string) => `config:\n${v}\nend` : r.pick(CONTEXTS);
        const text = context(planted);
        const at = text.indexOf(planted);
        const plantedValueStart = at + vs;
        const plantedValueEnd = at + planted.length - (raw.length - ve);
        out.push({ detector, variant, text, start: plantedValueStart, end: plantedValueEnd });
      }
    }
  }
  return out;
}

export function negatives(perKind = 40, seed = 11): Negative[] {
  const r = seeded(seed);
  const d = (n: number) => r.chars(DIGITS, n);
  const hex = (n: number) => r.chars('0123456789abcdef', n);
  const kinds: Record<string, () => string> = {
    'card-like, fails Luhn': () => {
      const body = `4${d(14)}`;
      const bad = String((Number(luhnDigit(body)) + r.int(1, 9)) % 10);
      const pan = body + bad;
      return r.pick([pan, pan.match(/.{4}/g)?.join(' ') as string, pan.match(/.{4}/g)?.join('-') as string]);
    },
    'card-like, no issuer prefix': () => {
      const body = `${r.pick(['1', '7', '8', '9'])}${d(14)}`;
      return body + luhnDigit(body);
    },
    'ISO timestamp': () =>
      `2024-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}${r.pick(['T', ' '])}${String(r.int(0, 23)).padStart(2, '0')}:${d(1)}${d(1)}:${d(1)}${d(1)}${r.pick(['Z', '', '.123Z', '+02:00'])}`,
    'Unix timestamp': () => r.pick([String(1_600_000_000 + r.int(0, 2e8)), String(1_600_000_000_000 + r.int(0, 2e11))]),
    'date and time': () =>
      `${String(r.int(1, 28)).padStart(2, '0')}${r.pick(['/', '.', '-'])}${String(r.int(1, 12)).padStart(2, '0')}${r.pick(['/', '.', '-'])}2024 ${r.int(0, 23)}:${d(1)}${d(1)}`,
    UUID: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`,
    version: () =>
      r.pick([
        `${r.int(0, 20)}.${r.int(0, 40)}.${r.int(0, 99)}`,
        `v${r.int(0, 9)}.${r.int(0, 9)}.${r.int(0, 9)}.${r.int(0, 9)}`,
        `10.0.${r.int(10000, 22631)}.${r.int(256, 4000)}`,
        `${r.int(1, 9)}.${r.int(0, 9)}.${r.int(0, 9)}-beta.${r.int(1, 9)}`,
      ]),
    ISBN: () => {
      const body = `978${r.int(0, 1)}${d(8)}`;
      let s = 0;
      for (let i = 0; i < 12; i++) s += Number(body[i]) * (i % 2 === 0 ? 1 : 3);
      const isbn = body + String((10 - (s % 10)) % 10);
      return r.pick([isbn, `${isbn.slice(0, 3)}-${isbn[3]}-${isbn.slice(4, 6)}-${isbn.slice(6, 12)}-${isbn[12]}`, `0-${d(3)}-${d(5)}-${d(1)}`]);
    },
    amount: () =>
      r.pick([
        `$${r.int(1, 999)},${d(3)}.${d(2)}`,
        `€ ${r.int(10, 99)} ${d(3)} ${d(3)},${d(2)}`,
        `${r.int(1, 9)} ${d(3)} ${d(3)} ${d(3)}`,
        `USD ${d(7)}.${d(2)}`,
        `-${r.int(1, 99)}.${d(2)}`,
        `1.${d(3)}.${d(3)}.${d(3)},00 €`,
      ]),
    'order id': () => r.pick([`ORD-2024-${d(6)}`, `#${d(9)}`, `INV ${d(4)} ${d(4)}`, `ticket ${d(8)}`]),
    'hex digest': () => r.pick([hex(40), hex(64), hex(32), `sha256:${hex(64)}`]),
    'identifier or path': () =>
      r.pick([
        'getUserAccountBalanceByIdentifier',
        'AbstractSingletonProxyFactoryBean',
        '/usr/local/lib/node_modules/pkg/dist/index.js',
        'https://example.com/docs/api?page=2&sort=asc',
        'com.example.payments.internal.LedgerEntry',
      ]),
    'address-like': () =>
      r.pick([
        'user@localhost',
        '@scope/package@1.2.3',
        'git remote add origin',
        'std::vector<int>',
        'Foo::Bar::baz()',
        `${r.pick(['00', 'a4', 'f0'])}:1A:2B:3C:4D:5E`,
        'see @maria in #payments',
      ]),
    'small numbers': () =>
      r.pick([
        `ext. ${d(4)}`,
        `room ${d(2)}-${d(2)}`,
        `score ${r.int(0, 9)}-${r.int(0, 9)}`,
        `ZIP ${d(5)}-${d(4)}`,
        `48.${d(4)}, 2.${d(4)}`,
        `${r.int(1, 99)}%`,
        '1 2 3 4 5 6 7 8 9 10 11 12',
        'HTTP/1.1 200 OK',
        `${d(3)} ${d(3)}`,
      ]),
    placeholder: () =>
      r.pick([
        'password: ********',
        'token: none',
        'max_tokens=2048',
        'api_key: [redacted]',
        'Authorization: Bearer token',
        '**** **** **** 1111',
        'xxx-xx-1234',
      ]),
    'full-width timestamp': () => fullWidth(`2024-0${r.int(1, 9)}-1${r.int(0, 9)} 1${r.int(0, 9)}:${d(2)}`),
    'no-break amount': () => nbsp(`${r.int(10, 99)} ${d(3)} ${d(3)},${d(2)} €`),
    'arabic-indic date': () => arabicIndic(`2024-0${r.int(1, 9)}-1${r.int(0, 9)}`),
  };
  const out: Negative[] = [];
  for (const [kind, make] of Object.entries(kinds)) {
    for (let k = 0; k < perKind; k++) out.push({ kind, text: r.pick(CONTEXTS)(make()) });
  }
  return out;
}

export const DETECTOR_IDS = Object.keys(generators);

/** What one detector scored on the corpus. */
export interface DetectorScore {
  readonly detector: string;
  readonly positives: number;
  readonly detected: number;
  /** Planted values found (a match covering the whole value) ÷ positives. */
  readonly recall: number;
  /** Recall per Unicode variant. */
  readonly byVariant: Readonly<Record<string, { readonly n: number; readonly detected: number }>>;
  readonly negatives: number;
  /** Negative items in which the detector matched anything. */
  readonly falsePositives: number;
  /** Matches on positives plus false positives: detected ÷ (detected + false positives). */
  readonly precision: number;
  readonly falsePositiveExamples: readonly string[];
}

export interface CorpusScore {
  readonly detectors: readonly DetectorScore[];
  /** With every built-in detector on: planted values whose characters survived redaction in part. */
  readonly fullSetLeaks: number;
  /** Positives whose covering match came from another detector than the expected one. */
  readonly misattributed: number;
  readonly positives: number;
  readonly negatives: number;
}

/**
 * Scores every built-in detector on the corpus, alone (recall and precision), then the full set
 * together (no planted value may survive: a value counts as leaked when any of its letters or
 * digits is still in the output at its place).
 */
export function scoreCorpus(perVariant = 40, perKind = 40): CorpusScore {
  const pos = positives(perVariant);
  const neg = negatives(perKind);
  const locate = locateMatches;
  const scores: DetectorScore[] = [];
  for (const d of builtinDetectors) {
    const mine = pos.filter((p) => p.detector === d.id);
    let detected = 0;
    const byVariant: Record<string, { n: number; detected: number }> = {};
    for (const p of mine) {
      const hit = locate(p.text, [d]).some((m) => m.from <= p.start && m.to >= p.end);
      if (hit) detected++;
      const v = byVariant[p.variant] ?? { n: 0, detected: 0 };
      byVariant[p.variant] = v;
      v.n++;
      if (hit) v.detected++;
    }
    let falsePositives = 0;
    const examples: string[] = [];
    for (const x of neg) {
      if (locate(x.text, [d]).length === 0) continue;
      falsePositives++;
      if (examples.length < 5) examples.push(`${x.kind}: ${x.text}`);
    }
    scores.push({
      detector: d.id,
      positives: mine.length,
      detected,
      recall: mine.length === 0 ? Number.NaN : detected / mine.length,
      byVariant,
      negatives: neg.length,
      falsePositives,
      precision: detected + falsePositives === 0 ? Number.NaN : detected / (detected + falsePositives),
      falsePositiveExamples: examples,
    });
  }
  let fullSetLeaks = 0;
  let misattributed = 0;
  for (const p of pos) {
    const found = locate(p.text, builtinDetectors);
    const cover = found.find((m) => m.from <= p.start && m.to >= p.end);
    if (cover === undefined) fullSetLeaks++;
    else if (cover.detector.id !== p.detector) misattributed++;
  }
  return { detectors: scores, fullSetLeaks, misattributed, positives: pos.length, negatives: neg.length };
}
