/**
 * The framework-neutral predict endpoint that every adapter calls: content type, body limits,
 * safe JSON, the predict contract, the caller's identity, the guarded call, and the mapping of
 * every outcome to a status, headers and a JSON body. Adapters only translate requests and
 * responses (see @bulwark/express and @bulwark/hono).
 */
import { isUtf8 } from 'node:buffer';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { LRUCache } from 'lru-cache';
import type { GuardedFunction } from '../bulwark.js';
import { BulwarkError, ConfigError, isBulwarkError } from '../errors.js';
import { addressKey } from '../principal/ip.js';
import type { Principal } from '../principal/principal.js';
import { scrubText } from '../redaction/scrub.js';
import type { Prediction } from '../types.js';
import { PERIOD_MS, type PeriodName } from '../util/periods.js';
import { DEFAULT_LIMITS, type HttpLimits } from './limits.js';
import { parsePredictBody } from './predict-body.js';
import { LINGER_BYTES, payloadTooLarge } from './read-body.js';
import {
  createPrincipalResolver,
  type PrincipalResolver,
  type PrincipalResolverOptions,
  type RequestIdentity,
  resolvesByAddressOnly,
} from './resolve-principal.js';
import { checkParsedJson, parseJsonText } from './safe-json.js';

/** A request as the endpoint sees it. */
export interface EndpointRequest extends RequestIdentity {
  /** Reads the raw body, failing with `payload_too_large` past `maxBytes`. */
  readBody(maxBytes: number): Promise<Uint8Array>;
  /** A body already parsed by upstream middleware (e.g. express.json()), if any. */
  readonly parsedBody?: unknown;
  /**
   * Reads and discards the body (after a refusal), within `LINGER_BYTES`, so a client that writes
   * its whole body before reading sees the answer; resolves true when the body was read to its end.
   * Optional: runtimes without a Node stream leave it out.
   */
  discardBody?(): Promise<boolean>;
  readonly signal?: AbortSignal | undefined;
}

export interface EndpointResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

export interface EndpointOptions extends PrincipalResolverOptions {
  readonly limits?: Partial<HttpLimits> | undefined;
  /**
   * Requests refused before the guards (bad JSON, wrong shape, too large, wrong media type, bad
   * credentials) allowed per caller, per period; past it, the caller's requests are refused with
   * 429 before their body is read. Counted per process. Default: 100 a minute.
   */
  readonly refusedRequests?: { readonly limit: number; readonly per: PeriodName } | undefined;
  /** Replaces the default principal resolution (API key, else client address). */
  readonly resolvePrincipal?: PrincipalResolver | undefined;
}

export type PredictGuarded = GuardedFunction<number[][], Prediction[]>;

export interface PredictEndpoint {
  readonly limits: HttpLimits;
  /** Resolves the caller (throws `unauthorized`). */
  principal(req: RequestIdentity): Principal;
  /** Reads, checks and parses the JSON body. */
  readJson(req: EndpointRequest): Promise<unknown>;
  /** The whole `POST /v1/predict` exchange. Never throws. */
  handle(req: EndpointRequest): Promise<EndpointResponse>;
}

/**
 * At most `max` characters, printable ASCII only, personal data and secrets masked: what an error
 * body may reflect of a request.
 */
export function clip(text: string, max: number): string {
  const clean = scrubText(text)
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/[<>]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Maps any error to the response a client may see: a code and a bounded message, never a stack. */
export function errorResponse(err: unknown): EndpointResponse {
  const e = isBulwarkError(err) ? err : new BulwarkError('internal_error', 'unexpected failure');
  const requestId = e.requestId;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...e.headers };
  if (e.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(0, Math.ceil(e.retryAfterSeconds)));
  if (requestId !== undefined) headers['x-request-id'] = requestId;
  // Server-side failures keep their details in telemetry; the client gets the code only. Messages
  // and paths may quote the request: they are bounded and stripped of anything but printable ASCII.
  const message = e.isServerError ? `${e.code.replaceAll('_', ' ')}${requestId ? ` (request ${requestId})` : ''}` : clip(e.message, 300);
  const error: Record<string, string> = { code: e.code, message };
  if (!e.isServerError && e.path !== undefined) error.path = clip(e.path, 120);
  return { status: e.status, headers, body: { error } };
}

const MAX_PRINCIPALS_BY_ADDRESS = 10_000;

/** Refusals that count against the caller's refused-requests limit: the request's own fault, found before the guards. */
const COUNTED = new Set(['invalid_request', 'invalid_input', 'unauthorized', 'payload_too_large', 'unsupported_media_type']);

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  if (contentType === 'application/json') return true; // the common case, without string work
  const mime = contentType.split(';', 1)[0]?.trim().toLowerCase();
  return mime === 'application/json' || (mime?.startsWith('application/') === true && mime.endsWith('+json'));
}

export function createPredictEndpoint(guarded: PredictGuarded, options: EndpointOptions = {}): PredictEndpoint {
  const limits: HttpLimits = Object.freeze({ ...DEFAULT_LIMITS, ...stripUndefined(options.limits ?? {}) });
  const resolve = options.resolvePrincipal ?? createPrincipalResolver(options);
  const hasher = guarded.bulwark.principals;
  const refusals = refusalLimiter(options.refusedRequests ?? { limit: 100, per: 'minute' });
  // Principals by socket address, when the address alone decides who calls: a kept-alive client's
  // requests share one (its hash computed once). Bounded; emptied when full.
  const byAddress = resolvesByAddressOnly(resolve) ? new Map<string, Principal>() : undefined;
  /** Who a refusal is charged to: the caller when resolved, else its address. */
  const refusalScope = (req: RequestIdentity, principal: Principal | undefined): string =>
    principal !== undefined ? principal.hash : hasher.hash('ip', addressKey(req.remoteAddress) ?? 'unknown-address');

  const endpoint: PredictEndpoint = {
    limits,
    principal(req) {
      const address = req.remoteAddress;
      if (byAddress === undefined || address === undefined) return hasher.principal(resolve(req));
      let p = byAddress.get(address);
      if (p === undefined) {
        p = hasher.principal(resolve(req));
        if (byAddress.size >= MAX_PRINCIPALS_BY_ADDRESS) byAddress.clear();
        byAddress.set(address, p);
      }
      return p;
    },
    async readJson(req) {
      if (req.parsedBody !== undefined) {
        checkParsedJson(req.parsedBody, limits);
        return req.parsedBody;
      }
      const refusal = refuseBeforeReading(req);
      if (refusal !== undefined) await refusal;
      const value = parseJson(await req.readBody(limits.maxBodyBytes));
      checkParsedJson(value, limits);
      return value;
    },
    handle(req) {
      // W3C trace context: when no instrumentation upstream made a span active, an incoming
      // `traceparent` still parents Bulwark's span (the global propagator reads it; none: no-op).
      const traceparent = req.header('traceparent');
      if (traceparent !== undefined && trace.getSpan(context.active()) === undefined) {
        const parent = propagation.extract(ROOT_CONTEXT, { traceparent, tracestate: req.header('tracestate') });
        return context.with(parent, () => handle(req));
      }
      return handle(req);
    },
  };

  /**
   * The checks that need no body (media type, declared length): throws, or returns the refusal to
   * await when the body is read and discarded first (so its sender sees the answer).
   */
  function refuseBeforeReading(req: EndpointRequest): Promise<never> | undefined {
    if (!isJson(req.header('content-type'))) {
      throw new BulwarkError('unsupported_media_type', 'Content-Type must be application/json');
    }
    const declared = req.header('content-length');
    if (declared === undefined || !(Number(declared) > limits.maxBodyBytes)) return undefined;
    // Far beyond what lingering reads: answer at once and close.
    if (Number(declared) > limits.maxBodyBytes + LINGER_BYTES || req.discardBody === undefined) throw payloadTooLarge(limits.maxBodyBytes, false);
    return req.discardBody().then((drained) => {
      throw payloadTooLarge(limits.maxBodyBytes, drained);
    });
  }

  /** UTF-8 JSON text to a value, not yet checked for size or poisoning keys. */
  function parseJson(bytes: Uint8Array): unknown {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Checked, not replaced: a body with invalid UTF-8 is refused rather than silently repaired.
    if (!isUtf8(buf)) throw new BulwarkError('invalid_request', 'body is not valid UTF-8');
    return parseJsonText(buf.toString('utf8'));
  }

  /**
   * The rows of a predict body, refused exactly as `readJson` and `parsePredictBody` in turn would
   * refuse them, without walking a body that has the contract's shape: `parsePredictBody` reads
   * only the contract's fixed levels (it never recurses) and refuses any other key, `__proto__`
   * included, so for such a body the walk would only count its depth and values, which are known
   * from the shape. Any other body is walked first, so its refusal is the walk's, as before.
   */
  function predictRows(value: unknown): number[][] {
    let rows: number[][];
    try {
      rows = parsePredictBody(value, limits);
    } catch (err) {
      checkParsedJson(value, limits);
      throw err;
    }
    // As the walk counts them: the object, its key, then every element of each array.
    const single = rows !== (value as { inputs: unknown }).inputs;
    const width = (rows[0] as number[]).length;
    const depth = single ? 2 : 3;
    const values = single ? 2 + width : 2 + rows.length + rows.length * width;
    if (depth > limits.maxDepth || values > limits.maxElements + 16) checkParsedJson(value, limits);
    return rows;
  }

  async function handle(req: EndpointRequest): Promise<EndpointResponse> {
    let principal: Principal | undefined;
    try {
      principal = endpoint.principal(req);
      // A caller past its refused-requests limit is refused before its body is read or parsed.
      // While nobody has been refused, there is nothing to look up (and no caller hash to compute).
      const early = refusals.empty ? undefined : refusals.check(refusalScope(req, principal));
      if (early !== undefined) {
        guarded.bulwark.recordRefusal(early, principal);
        return errorResponse(early);
      }
      let rows: number[][];
      if (req.parsedBody !== undefined) {
        checkParsedJson(req.parsedBody, limits);
        rows = parsePredictBody(req.parsedBody, limits);
      } else {
        // Read here rather than through readJson: one async layer less on every request.
        const refusal = refuseBeforeReading(req);
        if (refusal !== undefined) await refusal;
        rows = predictRows(parseJson(await req.readBody(limits.maxBodyBytes)));
      }
      const result = await guarded.run(rows, new RequestCallOptions(principal, req));
      const headers: Record<string, string> = {};
      for (const name in result.headers) headers[name] = result.headers[name] as string;
      headers['content-type'] = 'application/json; charset=utf-8';
      headers['x-request-id'] = result.requestId;
      return { status: 200, headers, body: { predictions: result.output } };
    } catch (err) {
      if (isBulwarkError(err) && err.requestId === undefined) {
        // Refused before the pipeline (which gives every call an id and a span): do both here.
        guarded.bulwark.recordRefusal(err, principal);
      }
      if (isBulwarkError(err) && COUNTED.has(err.code) && err.guard === undefined) {
        const who = refusalScope(req, principal);
        const over = refusals.check(who);
        refusals.charge(who);
        if (over !== undefined) over.requestId = err.requestId;
        return errorResponse(over ?? err);
      }
      return errorResponse(err);
    }
  }
  return endpoint;
}

/**
 * Call options whose `signal` is read from the request only if the predict function asks for it
 * (building a WHATWG Request's signal is not free). A class: an object literal with a getter is
 * markedly slower to create on every request.
 */
export class RequestCallOptions {
  constructor(
    readonly principal: Principal,
    private readonly req: EndpointRequest,
  ) {}
  get signal(): AbortSignal | undefined {
    return this.req.signal;
  }
}

/**
 * The refused-requests limit: a GCRA rate per caller, in process. The state lives in an LRU map
 * (100,000 callers): a check is one lookup, only refusals write. An LRU may forget a caller that
 * floods with fresh identities; each of those still meets the limit, and callers that are not
 * refused are never touched.
 */
function refusalLimiter(o: { readonly limit: number; readonly per: PeriodName }) {
  if (!Number.isSafeInteger(o.limit) || o.limit < 1 || !Object.hasOwn(PERIOD_MS, o.per)) {
    throw new ConfigError(
      [
        {
          path: 'limits.refusedRequests',
          rule: 'must be { limit: integer >= 1, per: second|minute|hour|day|month }',
          received: JSON.stringify(o).slice(0, 60),
        },
      ],
      'endpoint options',
    );
  }
  const interval = PERIOD_MS[o.per] / o.limit;
  const capacity = interval * o.limit;
  // Theoretical arrival time (ms) of the next refusal, per caller.
  const tat = new LRUCache<string, number>({ max: 100_000 });
  return {
    get empty(): boolean {
      return tat.size === 0;
    },
    check(scope: string): BulwarkError | undefined {
      const t = tat.peek(scope);
      if (t === undefined) return undefined;
      const now = Date.now();
      // Full when one more refusal would not fit.
      if (Math.max(t, now) + interval - now <= capacity) return undefined;
      return new BulwarkError('rate_limited', 'too many refused requests: fix the requests, then retry', {
        retryAfterSeconds: Math.ceil((Math.max(t, now) + interval - now - capacity) / 1000),
        headers: { connection: 'close' },
      });
    },
    charge(scope: string): void {
      const now = Date.now();
      const next = Math.max(tat.peek(scope) ?? now, now) + interval;
      // Never beyond the burst: a caller that keeps sending while refused does not dig deeper.
      tat.set(scope, Math.min(next, now + capacity + interval));
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
