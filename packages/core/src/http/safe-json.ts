/**
 * JSON parsing for untrusted bodies: the parsed value is walked once, iteratively, to bound its
 * depth and its number of values and to reject prototype-poisoning keys (`__proto__`,
 * `constructor.prototype`), as Fastify's secure-json-parse does, before anything else (which may
 * recurse) touches it. The text is not scanned for depth first: V8's `JSON.parse` is iterative (5
 * million levels parse without exhausting the stack, in time linear in the size), and the body's
 * size is already bounded, so a deep body costs what any body of its size costs. `jsonDepth`
 * remains for callers that must decide before parsing.
 */
import { BulwarkError } from '../errors.js';

export interface JsonLimits {
  readonly maxDepth: number;
  readonly maxElements: number;
}

const OPEN_BRACE = 123;
const OPEN_BRACKET = 91;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;
const QUOTE = 34;
const BACKSLASH = 92;

/** Maximum nesting depth of JSON text, without parsing it. Linear time, no allocation. */
export function jsonDepth(text: string, stopAbove: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return max;
}

const invalid = (message: string): BulwarkError => new BulwarkError('invalid_request', message);

/** Parses untrusted JSON text within limits; throws `invalid_request` with what was wrong. */
export function parseJsonSafely(text: string, limits: JsonLimits): unknown {
  const value = parseJsonText(text);
  checkParsedJson(value, limits);
  return value;
}

/**
 * `JSON.parse` with a refusal that does not quote the text. The value is unchecked: walk it with
 * `checkParsedJson` (or check its whole shape without recursion) before anything else reads it.
 */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message quotes the body; say where it broke without echoing it.
    throw invalid('body is not valid JSON');
  }
}

/**
 * Bounds the size and rejects poisoning keys of an already parsed value (used as is when a body
 * parser upstream has parsed the body).
 */
export function checkParsedJson(value: unknown, limits: JsonLimits): void {
  if (typeof value !== 'object' || value === null) return;
  // The walk's stacks are kept between calls (a request allocates none). A value parsed upstream
  // may be anything, getters included: a walk started while another is under way (a getter that
  // calls back in) gets stacks of its own, so neither can cut the other's short.
  if (walking) {
    walk(value, limits, [], []);
    return;
  }
  walking = true;
  try {
    walk(value, limits, sharedContainers, sharedDepths);
  } finally {
    walking = false;
    sharedContainers.length = 0;
    sharedDepths.length = 0;
  }
}

let walking = false;
const sharedContainers: object[] = [];
const sharedDepths: number[] = [];

function walk(value: object, limits: JsonLimits, containers: object[], depths: number[]): void {
  // Iterative, and only containers go on the stack: a batch of numbers allocates nothing per value.
  let count = 1;
  containers.push(value);
  depths.push(0);
  const budget = limits.maxElements + 16;
  while (containers.length > 0) {
    const v = containers.pop() as object;
    const d = depths.pop() as number;
    if (d >= limits.maxDepth) throw invalid(`JSON nesting is deeper than ${limits.maxDepth}`);
    if (Array.isArray(v)) {
      count += v.length;
      if (count > budget) throw invalid(`body has more than ${limits.maxElements} values`);
      for (let i = 0; i < v.length; i++) {
        const child: unknown = v[i];
        if (typeof child === 'object' && child !== null) {
          containers.push(child);
          depths.push(d + 1);
        }
      }
      continue;
    }
    for (const key of Object.keys(v)) {
      if (key === '__proto__') throw invalid('forbidden key "__proto__"');
      const child = (v as Record<string, unknown>)[key];
      if (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype')) {
        throw invalid('forbidden key "constructor.prototype"');
      }
      if (++count > budget) throw invalid(`body has more than ${limits.maxElements} values`);
      if (typeof child === 'object' && child !== null) {
        containers.push(child);
        depths.push(d + 1);
      }
    }
  }
}
