/**
 * Strings built to make a scanner do the most work per character: long runs that almost match,
 * many starts that fail late, nested-quantifier bait for patterns. Shared by the linear-time test
 * (test/redaction/linear-time.test.ts) and `pnpm redaction` (wall-clock figures up to 1 MB).
 */

const rep = (unit: string, n: number) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);

/** Per detector id (and `pattern:<source>` for user patterns), string makers of a given length. */
export const ADVERSARIAL: Readonly<Record<string, readonly ((n: number) => string)[]>> = {
  email: [(n) => rep('a@', n), (n) => `${rep('a.', n - 10)}@x`, (n) => rep('@', n), (n) => rep('a@a.', n), (n) => `a@${rep('b.', n)}`],
  phone: [(n) => rep('+1 ', n), (n) => rep('1 ', n), (n) => rep('(1', n), (n) => rep('1-', n), (n) => rep('12 (3', n)],
  card: [(n) => rep('4111 ', n), (n) => rep('1 ', n), (n) => rep('4111-1111-', n), (n) => rep('4', n)],
  iban: [(n) => rep('GB82', n), (n) => rep('GB82 ', n), (n) => `DE89${rep('0', n)}`, (n) => rep('DE8937 ', n)],
  ssn: [(n) => rep('123-45-', n), (n) => rep('1-', n), (n) => rep('123 45 ', n)],
  ipv4: [(n) => rep('1.', n), (n) => rep('255.255.255.255.', n), (n) => rep('1.1.1', n)],
  ipv6: [(n) => rep(':', n), (n) => rep('a:', n), (n) => rep('::', n), (n) => rep('1:2:3:4:5:6:7:8:', n), (n) => rep('fe80::1 ', n)],
  jwt: [(n) => rep('eyJ', n), (n) => rep('eyJhbGciOi.', n), (n) => rep('eyJ.eyJ.', n), (n) => `${rep('eyJhbGci', n)}.x.y`],
  'private-key': [(n) => rep('-----BEGIN ', n), (n) => rep('-----BEGIN RSA PRIVATE KEY-----', n), (n) => rep('-----', n)],
  'api-key': [(n) => rep('AKIA', n), (n) => rep('sk-', n), (n) => rep('SG.', n), (n) => rep('ghp_ ', n), (n) => rep('xoxb-', n)],
  credential: [(n) => rep('password=', n), (n) => rep('password: ', n), (n) => rep('bearer ', n), (n) => rep('token', n), (n) => rep('"api_key": "', n)],
  'high-entropy': [(n) => rep('aA1+', n), (n) => rep('aA1+/=_-bB2 ', n), (n) => rep('Ab1', n)],
  'pattern:(a+)+$': [(n) => `${rep('a', n - 1)}!`],
  'pattern:(a|aa)+b': [(n) => rep('a', n)],
  'pattern:(x+x+)+y': [(n) => rep('x', n)],
  'pattern:\\bEMP-\\d{6}\\b': [(n) => rep('EMP-12345', n), (n) => rep('EMP-', n)],
  'pattern:[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}': [(n) => rep('a', n), (n) => rep('a.', n), (n) => `${rep('a', n - 2)}@x`],
  'full set': [(n) => rep('4111 1111 +1 (415) a@b.c eyJ AKIA ', n), (n) => rep('\u200b４', n), (n) => rep('1.2.3.4:', n), (n) => rep('ａ＠ｂ．', n)],
};
