/**
 * The framework-neutral predict endpoint that every adapter calls: content type, body limits,
 * safe JSON, the predict contract, the caller's identity, the guarded call, and the mapping of
 * every outcome to a status, headers and a JSON body. Adapters only translate requests and
 * responses (see @bulwark/express and @bulwark/hono).
 */
import { isUtf8 } from 'node:buffer';
import type { GuardedFunction } from '../bulwark.js';
import { BulwarkError, isBulwarkError } from '../errors.js';
import type { Principal } from '../principal/principal.js';
import type { Prediction } from '../types.js';
import { DEFAULT_LIMITS, type HttpLimits } from './limits.js';
import { parsePredictBody } from './predict-body.js';
import { payloadTooLarge } from './read-body.js';
import { createPrincipalResolver, type PrincipalResolver, type PrincipalResolverOptions, type RequestIdentity } from './resolve-principal.js';
import { checkParsedJson, parseJsonSafely } from './safe-json.js';

/** A request as the endpoint sees it. */
export interface EndpointRequest extends RequestIdentity {
  /** Reads the raw body, failing with `payload_too_large` past `maxBytes`. */
  readBody(maxBytes: number): Promise<Uint8Array>;
  /** A body already parsed by upstream middleware (e.g. express.json()), if any. */
  readonly parsedBody?: unknown;
  readonly signal?: AbortSignal | undefined;
}

export interface EndpointResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

export interface EndpointOptions extends PrincipalResolverOptions {
  readonly limits?: Partial<HttpLimits> | undefined;
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

/** Maps any error to the response a client may see: a code and a message, never a stack. */
export function errorResponse(err: unknown): EndpointResponse {
  const e = isBulwarkError(err) ? err : new BulwarkError('internal_error', 'unexpected failure');
  const requestId = e.requestId;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...e.headers };
  if (e.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(0, Math.ceil(e.retryAfterSeconds)));
  if (requestId !== undefined) headers['x-request-id'] = requestId;
  // Server-side failures keep their details in telemetry; the client gets the code only.
  const message = e.isServerError ? `${e.code.replaceAll('_', ' ')}${requestId ? ` (request ${requestId})` : ''}` : e.message;
  const error: Record<string, string> = { code: e.code, message };
  if (!e.isServerError && e.path !== undefined) error.path = e.path;
  return { status: e.status, headers, body: { error } };
}

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mime = contentType.split(';', 1)[0]?.trim().toLowerCase();
  return mime === 'application/json' || (mime?.startsWith('application/') === true && mime.endsWith('+json'));
}

export function createPredictEndpoint(guarded: PredictGuarded, options: EndpointOptions = {}): PredictEndpoint {
  const limits: HttpLimits = Object.freeze({ ...DEFAULT_LIMITS, ...stripUndefined(options.limits ?? {}) });
  const resolve = options.resolvePrincipal ?? createPrincipalResolver(options);
  const hasher = guarded.bulwark.principals;

  const endpoint: PredictEndpoint = {
    limits,
    principal(req) {
      return hasher.principal(resolve(req));
    },
    async readJson(req) {
      if (req.parsedBody !== undefined) {
        checkParsedJson(req.parsedBody, limits);
        return req.parsedBody;
      }
      if (!isJson(req.header('content-type'))) {
        throw new BulwarkError('unsupported_media_type', 'Content-Type must be application/json');
      }
      const declared = req.header('content-length');
      if (declared !== undefined && Number(declared) > limits.maxBodyBytes) {
        throw payloadTooLarge(limits.maxBodyBytes);
      }
      const bytes = await req.readBody(limits.maxBodyBytes);
      const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      // Checked, not replaced: a body with invalid UTF-8 is refused rather than silently repaired.
      if (!isUtf8(buf)) throw new BulwarkError('invalid_request', 'body is not valid UTF-8');
      return parseJsonSafely(buf.toString('utf8'), limits);
    },
    async handle(req) {
      try {
        const principal = endpoint.principal(req);
        const rows = parsePredictBody(await endpoint.readJson(req), limits);
        const result = await guarded.run(rows, new RequestCallOptions(principal, req));
        const headers: Record<string, string> = {};
        for (const name in result.headers) headers[name] = result.headers[name] as string;
        headers['content-type'] = 'application/json; charset=utf-8';
        headers['x-request-id'] = result.requestId;
        return { status: 200, headers, body: { predictions: result.output } };
      } catch (err) {
        return errorResponse(err);
      }
    },
  };
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

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
