/**
 * The telemetry scrubber: the built-in detectors over everything Bulwark itself writes, so that a
 * guard that quotes what it saw (a custom guard's message naming an e-mail address, an attribute
 * holding a token) cannot carry it into spans, metrics, decision logs or error bodies. Applied
 * where verdicts become decisions (pipeline/run-guards.ts), which is upstream of all of those, and
 * to every error body (http/endpoint.ts). Messages are short and mostly constant: clean ones are
 * remembered (a bounded set, holding only strings in which nothing was found).
 */
import type { AttributeValue } from '@opentelemetry/api';
import { builtinDetectors } from './detectors/index.js';
import { type Masking, redactString } from './scan.js';

const MASKING: Masking = Object.freeze({ strategies: Object.freeze({}), defaultStrategy: 'mask', maskText: '[{detector}]', hashKey: undefined });
const clean = new Set<string>();
const MAX_CLEAN = 1024;
const MAX_CLEAN_LENGTH = 256;

/** `text` with personal data and secrets masked (`[email]`, `[api-key]`…). */
export function scrubText(text: string): string {
  if (text.length < 3 || clean.has(text)) return text;
  const out = redactString(text, builtinDetectors, MASKING).text;
  if (out === text && clean.size < MAX_CLEAN && text.length <= MAX_CLEAN_LENGTH) clean.add(text);
  return out;
}

/** Attributes with every string (and string in an array) scrubbed; the same object when nothing changed. */
export function scrubAttributes<T extends Readonly<Record<string, AttributeValue | undefined>>>(attributes: T): T {
  // Guards usually return the same attributes object on every call (built once): checked once.
  if (cleanAttributes.has(attributes)) return attributes;
  let out: Record<string, AttributeValue | undefined> | undefined;
  // Remembered only if nothing in it can change: the object and its arrays frozen.
  let cacheable = Object.isFrozen(attributes);
  for (const key in attributes) {
    const v = attributes[key];
    let s: AttributeValue | undefined = v;
    if (typeof v === 'string') s = scrubText(v);
    else if (Array.isArray(v)) {
      cacheable &&= Object.isFrozen(v);
      const arr = v as readonly unknown[];
      let changed = false;
      const mapped = arr.map((x) => {
        if (typeof x !== 'string') return x;
        const y = scrubText(x);
        if (y !== x) changed = true;
        return y;
      });
      if (changed) s = mapped as AttributeValue;
    }
    const k = scrubText(key);
    if (s !== v || k !== key) {
      out ??= { ...attributes };
      if (k !== key) delete out[key];
      out[k] = s;
    }
  }
  if (out === undefined && cacheable) cleanAttributes.add(attributes);
  return (out ?? attributes) as T;
}

/** Frozen attribute objects found clean (a frozen object cannot change afterwards). */
const cleanAttributes = new WeakSet<object>();
