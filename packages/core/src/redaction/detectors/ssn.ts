/**
 * US Social Security numbers as written: AAA-GG-SSSS (or with spaces), with the numbers the SSA
 * never issues excluded (area 000, 666, 900-999; group 00; serial 0000). A bare run of nine digits
 * is not read as an SSN: it is indistinguishable from any other nine-digit number. Mark fields
 * that hold bare SSNs with a path rule instead (docs/redaction.md).
 */
import { at, isAlnum, isDigit, nextDigit, readChain } from './chars.js';
import type { Detector } from './types.js';

const isSsnSep = (c: number) => c === 45 || c === 32;

export const ssn: Detector = {
  id: 'ssn',
  kind: 'pii',
  needs: 'digit',
  description: 'US social security numbers written AAA-GG-SSSS (or with spaces), unissued ranges excluded',
  scan(text, found) {
    const n = text.length;
    let i = 0;
    while (i < n) {
      i = nextDigit(text, i);
      if (i < 0) return;
      // The shape first, without building the chain: three digits and a separator.
      const c3 = text.charCodeAt(i + 3);
      if (!(c3 === 45 || c3 === 32) || !isDigit(text.charCodeAt(i + 1)) || !isDigit(text.charCodeAt(i + 2))) {
        while (i < n && isDigit(text.charCodeAt(i))) i++;
        continue;
      }
      const chain = readChain(text, i, isSsnSep, 1, 4);
      const end = chain.ends[chain.ends.length - 1] as number;
      const prev = at(text, i - 1);
      const next = at(text, end);
      const glued = isAlnum(prev) || prev === 46 || prev === 45 || prev === 95 || isAlnum(next) || next === 95 || (next === 45 && isDigit(at(text, end + 1)));
      if (!glued && chain.starts.length === 3 && chain.seps[0] === chain.seps[1]) {
        const part = (k: number) => text.slice(chain.starts[k] as number, chain.ends[k] as number);
        const [a, g, s] = [part(0), part(1), part(2)];
        if (a.length === 3 && g.length === 2 && s.length === 4 && a !== '000' && a !== '666' && a[0] !== '9' && g !== '00' && s !== '0000') found(i, end);
      }
      i = end;
    }
  },
};
