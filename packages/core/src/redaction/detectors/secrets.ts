/**
 * Secrets: private-key blocks, JSON Web Tokens, API keys with a provider's prefix, credentials
 * written after a telling name (`password=`, `Authorization: Bearer`), and long high-entropy
 * tokens. Every scanner moves forward only: a failed candidate resumes after what it read.
 */
import { at, B64, CLASS, DIGIT, isAlnum, isDigit, isUpper, LOWER, TOKEN, UPPER } from './chars.js';
import type { Detector } from './types.js';

const T = CLASS;
const TOK = TOKEN;
const B64C = B64;

export const privateKey: Detector = {
  id: 'private-key',
  kind: 'secret',
  needs: 'dashes',
  description: 'PEM private-key blocks (RSA, EC, OpenSSH, PKCS#8, encrypted, PGP), to the END line or the end of the text',
  scan(text, found) {
    let from = 0;
    for (;;) {
      const begin = text.indexOf('-----BEGIN ', from);
      if (begin < 0) return;
      const close = text.indexOf('-----', begin + 11);
      const label = close < 0 || close - begin > 80 ? '' : text.slice(begin + 11, close);
      if (!/^[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?$/.test(label)) {
        from = begin + 11;
        continue;
      }
      // A block cut short is still a secret: mask to the end of the text.
      const endMarker = text.indexOf('-----END ', close + 5);
      const endClose = endMarker < 0 ? -1 : text.indexOf('-----', endMarker + 9);
      const end = endClose < 0 ? text.length : endClose + 5;
      found(begin, end);
      from = end;
    }
  },
};

/** base64url is exactly the token alphabet. */
const isB64Url = (c: number) => ((T[c] as number) & TOK) !== 0;

export const jwt: Detector = {
  id: 'jwt',
  kind: 'secret',
  needs: 'token12',
  description: 'JSON Web Tokens (header.payload.signature, header decoding to a JSON object with "alg")',
  scan(text, found) {
    const n = text.length;
    let from = 0;
    for (;;) {
      const s = text.indexOf('eyJ', from);
      if (s < 0) return;
      let i = s;
      while (i < n && isB64Url(text.charCodeAt(i))) i++;
      const headerEnd = i;
      if (isB64Url(at(text, s - 1)) || text.charCodeAt(i) !== 46 || headerEnd - s < 12) {
        from = headerEnd > s + 3 ? headerEnd : s + 3;
        continue;
      }
      i++;
      const payloadStart = i;
      while (i < n && isB64Url(text.charCodeAt(i))) i++;
      if (i - payloadStart < 2 || text.charCodeAt(i) !== 46) {
        from = i;
        continue;
      }
      i++;
      while (i < n && isB64Url(text.charCodeAt(i))) i++;
      if (headerHasAlg(text.slice(s, headerEnd))) found(s, i);
      from = i;
    }
  },
};

function headerHasAlg(segment: string): boolean {
  if (segment.length > 4096) return false;
  try {
    const header = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && typeof header.alg === 'string';
  } catch {
    return false;
  }
}

/** Provider key formats: prefix, and the length of what follows (characters of `isTokenChar`). */
const PREFIXES: readonly { readonly prefix: string; readonly min: number; readonly max: number; readonly upperOnly?: boolean }[] = [
  { prefix: 'AKIA', min: 16, max: 16, upperOnly: true }, // AWS access key id
  { prefix: 'ASIA', min: 16, max: 16, upperOnly: true }, // AWS temporary
  { prefix: 'ghp_', min: 36, max: 36 }, // GitHub tokens
  { prefix: 'gho_', min: 36, max: 36 },
  { prefix: 'ghu_', min: 36, max: 36 },
  { prefix: 'ghs_', min: 36, max: 36 },
  { prefix: 'ghr_', min: 36, max: 36 },
  { prefix: 'github_pat_', min: 22, max: 255 },
  { prefix: 'glpat-', min: 20, max: 64 }, // GitLab
  { prefix: 'xoxb-', min: 10, max: 255 }, // Slack
  { prefix: 'xoxp-', min: 10, max: 255 },
  { prefix: 'xoxa-', min: 10, max: 255 },
  { prefix: 'xoxr-', min: 10, max: 255 },
  { prefix: 'xoxs-', min: 10, max: 255 },
  { prefix: 'sk_live_', min: 16, max: 255 }, // Stripe secret and restricted keys
  { prefix: 'rk_live_', min: 16, max: 255 },
  { prefix: 'sk_test_', min: 16, max: 255 },
  { prefix: 'rk_test_', min: 16, max: 255 },
  { prefix: 'whsec_', min: 24, max: 255 }, // webhook signing secrets
  { prefix: 'AIza', min: 35, max: 35 }, // Google API keys
  { prefix: 'sk-ant-', min: 20, max: 255 }, // Anthropic
  { prefix: 'sk-proj-', min: 20, max: 255 }, // OpenAI project keys
  { prefix: 'sk-', min: 32, max: 255 }, // OpenAI and others
  { prefix: 'npm_', min: 36, max: 36 }, // npm
  { prefix: 'hf_', min: 30, max: 64 }, // Hugging Face
  { prefix: 'pypi-', min: 50, max: 255 }, // PyPI
  { prefix: 'SG.', min: 60, max: 80 }, // SendGrid: SG.<22>.<43>
];

/** Prefixes by first character: a token is compared only with the prefixes it could start with. */
const BY_FIRST: ReadonlyMap<number, readonly (typeof PREFIXES)[number][]> = (() => {
  const m = new Map<number, (typeof PREFIXES)[number][]>();
  for (const p of PREFIXES) m.set(p.prefix.charCodeAt(0), [...(m.get(p.prefix.charCodeAt(0)) ?? []), p]);
  return m;
})();
const SHORTEST_KEY = Math.min(...PREFIXES.map((p) => p.prefix.length + p.min));

export const apiKey: Detector = {
  id: 'api-key',
  kind: 'secret',
  needs: 'token12',
  description: 'API keys and tokens with a provider prefix (AWS, GitHub, GitLab, Slack, Stripe, Google, OpenAI, Anthropic, npm, Hugging Face, PyPI, SendGrid)',
  scan(text, found) {
    const n = text.length;
    let i = 0;
    while (i < n) {
      while (i < n && ((T[text.charCodeAt(i)] as number) & TOK) === 0) i++;
      if (i >= n) return;
      // One token: a maximal run of key characters (and the dots of SendGrid keys).
      const sendgrid = text.charCodeAt(i) === 83 && text.startsWith('SG.', i);
      let e = i + 1;
      while (e < n && (((T[text.charCodeAt(e)] as number) & TOK) !== 0 || (sendgrid && text.charCodeAt(e) === 46))) e++;
      const candidates = e - i >= SHORTEST_KEY ? BY_FIRST.get(text.charCodeAt(i)) : undefined;
      if (candidates !== undefined) {
        for (const p of candidates) {
          if (!text.startsWith(p.prefix, i)) continue;
          const rest = e - i - p.prefix.length;
          if (rest < p.min || rest > p.max) continue;
          if (p.upperOnly && !allUpperOrDigit(text, i + p.prefix.length, e)) continue;
          found(i, e);
          break;
        }
      }
      i = e;
    }
  },
};

function allUpperOrDigit(text: string, s: number, e: number): boolean {
  for (let k = s; k < e; k++) {
    const c = text.charCodeAt(k);
    if (!isUpper(c) && !isDigit(c)) return false;
  }
  return true;
}

/** Names after which a value is a credential, lower-case; matched as whole words, case-insensitively. */
const NAMES = [
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'client_secret',
  'api_key',
  'apikey',
  'api-key',
  'access_token',
  'refresh_token',
  'auth_token',
  'token',
  'private_key',
  'secret_key',
  'access_key',
  'bearer',
  'basic',
];
const NAME_SET = new Set(NAMES);
const MAX_NAME = Math.max(...NAMES.map((k) => k.length));

/** Characters a value ends at: space, quotes, and the delimiters of query strings and lists. */
const endsValue = (c: number) =>
  c <= 32 || c === 34 || c === 39 || c === 44 || c === 59 || c === 38 || c === 41 || c === 125 || c === 93 || c === 60 || c === 62;

/** The names as one alternation of literals: the engine tries at most MAX_NAME characters per position (linear). */
const NAME_RE = new RegExp(`(?:${[...NAMES].sort((a, b) => b.length - a.length).join('|')})`, 'gi');

export const credential: Detector = {
  id: 'credential',
  kind: 'secret',
  description: 'values after a credential name: password=…, "api_key": "…", Authorization: Bearer …',
  scan(text, found) {
    const n = text.length;
    NAME_RE.lastIndex = 0;
    for (;;) {
      if (!NAME_RE.test(text)) return;
      const e = NAME_RE.lastIndex;
      // A whole word only: "tokens", "secretary" and "x_password_hint" are not names.
      let i = e - 1;
      while (i > 0 && ((T[text.charCodeAt(i - 1)] as number) & TOK) !== 0 && e - i < MAX_NAME) i--;
      const word = text.slice(i, e).toLowerCase();
      if (!NAME_SET.has(word) || ((T[text.charCodeAt(i - 1)] as number) & TOK) !== 0 || ((T[text.charCodeAt(e)] as number) & TOK) !== 0) continue;
      // The name, then a closing quote, then `:` `=` or (for bearer/basic) a space, then an optional quote.
      let j = e;
      if (text.charCodeAt(j) === 34 || text.charCodeAt(j) === 39) j++;
      while (j < n && j - e < 4 && text.charCodeAt(j) === 32) j++;
      const scheme = word === 'bearer' || word === 'basic';
      const sep = text.charCodeAt(j);
      if (sep === 58 || sep === 61) j++;
      else if (!scheme || j === e) continue;
      while (j < n && j - e < 8 && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 34 || text.charCodeAt(j) === 39)) j++;
      let v = j;
      while (v < n && v - j < 512 && !endsValue(text.charCodeAt(v))) v++;
      while (v > j && text.charCodeAt(v - 1) === 46) v--; // a sentence's full stop
      // Short values and placeholders are not credentials: "token: none", "password: ********" stay.
      if (v - j >= 6 && !isMasked(text, j, v) && !(scheme && isSchemeWord(text, j, v))) {
        found(j, v);
        NAME_RE.lastIndex = v;
      }
    }
  },
};

/** Placeholders, not secrets: runs of `*`, `x` or dots, and the words that stand in for a value. */
const PLACEHOLDERS = new Set(['redacted', 'required', 'null', 'undefined', 'none', 'hidden', 'masked', 'example', 'placeholder', 'missing', 'optional']);

function isMasked(text: string, s: number, e: number): boolean {
  let filler = true;
  for (let k = s; k < e && filler; k++) {
    const c = text.charCodeAt(k);
    filler = c === 42 || c === 120 || c === 88 || c === 46 || c === 8226;
  }
  if (filler) return true;
  let w = text.slice(s, e).toLowerCase();
  if (w.startsWith('[') || w.startsWith('<')) w = w.slice(1);
  if (w.endsWith(']') || w.endsWith('>')) w = w.slice(0, -1);
  return PLACEHOLDERS.has(w);
}

function isSchemeWord(text: string, s: number, e: number): boolean {
  const w = text.slice(s, e).toLowerCase();
  return w === 'token' || w === 'auth' || w === 'authentication';
}

const MIN_ENTROPY_LENGTH = 32;
const ENTROPY_BITS = 4.2;

export const highEntropy: Detector = {
  id: 'high-entropy',
  kind: 'secret',
  needs: 'b64-32',
  description: 'tokens of 32+ base64/base62 characters with upper case, lower case and digits and Shannon entropy ≥ 4.2 bits per character',
  scan(text, found) {
    const n = text.length;
    const counts = new Int32Array(128);
    let i = 0;
    while (i < n) {
      while (i < n && ((T[text.charCodeAt(i)] as number) & B64C) === 0) i++;
      if (i >= n) return;
      let e = i + 1;
      while (e < n && ((T[text.charCodeAt(e)] as number) & B64C) !== 0) e++;
      if (e - i >= MIN_ENTROPY_LENGTH && !isAlnum(at(text, i - 1)) && isRandomLooking(text, i, e, counts)) found(i, e);
      i = e;
    }
  },
};

function isRandomLooking(text: string, s: number, e: number, counts: Int32Array): boolean {
  counts.fill(0);
  let upper = 0;
  let lower = 0;
  let digit = 0;
  for (let k = s; k < e; k++) {
    const c = text.charCodeAt(k);
    counts[c] = (counts[c] as number) + 1;
    const f = T[c] as number;
    if (f & UPPER) upper++;
    else if (f & LOWER) lower++;
    else if (f & DIGIT) digit++;
  }
  if (upper === 0 || lower === 0 || digit === 0) return false;
  const len = e - s;
  let h = 0;
  for (let c = 0; c < 128; c++) {
    const k = counts[c] as number;
    if (k > 0) h -= (k / len) * Math.log2(k / len);
  }
  return h >= ENTROPY_BITS;
}
