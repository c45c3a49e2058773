/**
 * JSON for policy files: `JSON.parse` keeps the last of two equal keys, so a file with two `auth`
 * blocks would silently start unauthenticated. This scan, run after a successful parse, finds any
 * key that appears twice in one object and names its path (YAML policies already refuse them).
 */
import { ConfigError } from '../errors.js';

/** Parses policy JSON, refusing duplicate keys; throws a ConfigError naming the problem. */
export function parseStrictJson(text: string, source: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      [{ code: 'unreadable', path: '', rule: `must be valid JSON: ${(err as Error).message.split('\n')[0]}`, received: 'unparsable text' }],
      source,
    );
  }
  const dup = firstDuplicateKey(text);
  if (dup !== undefined)
    throw new ConfigError(
      [
        {
          code: 'duplicate_key',
          path: dup.path,
          rule: 'appears twice in one object; JSON would keep only the last',
          received: JSON.stringify(dup.key).slice(0, 60),
        },
      ],
      source,
    );
  return value;
}

interface Frame {
  readonly keys: Set<string> | undefined; // undefined for arrays
  index: number;
  key: string | undefined;
}

/** The first repeated key of syntactically valid JSON text, with its path; linear time. */
export function firstDuplicateKey(text: string): { path: string; key: string } | undefined {
  const stack: Frame[] = [];
  let expectKey = false;
  const path = () =>
    stack
      .map((f, i) => (f.keys === undefined ? `[${f.index}]` : i === 0 || f.key === undefined ? (f.key ?? '') : `.${f.key}`))
      .join('')
      .replace(/^\./, '');
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys !== undefined) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) {
          top.key = key;
          return { path: path(), key };
        }
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = j;
    } else if (c === '{') {
      stack.push({ keys: new Set(), index: 0, key: undefined });
      expectKey = true;
    } else if (c === '[') {
      stack.push({ keys: undefined, index: 0, key: undefined });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.keys !== undefined) expectKey = true;
      else if (top !== undefined) top.index++;
    }
  }
  return undefined;
}
