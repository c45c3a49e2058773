/**
 * Hono adapter: maps a Hono context to the core endpoint and the core's response (or error) back
 * to a Response. No logic of its own; see @bulwark/core `createPredictEndpoint`.
 */

import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import {
  createPredictEndpoint,
  type EndpointOptions,
  type EndpointRequest,
  type EndpointResponse,
  errorResponse,
  type GuardedFunction,
  type GuardedResult,
  isBulwarkError,
  linger,
  type PredictGuarded,
  type Principal,
  RequestCallOptions,
  readNodeBody,
  readWebBody,
} from '@bulwark/core';
import type { Context, ErrorHandler, Handler, MiddlewareHandler } from 'hono';

export interface HonoAdapterOptions extends EndpointOptions {
  /**
   * Under @hono/node-server, write the answer straight to the Node response instead of building a
   * web `Response` (faster: no `Headers` object, no conversion back). Middleware that changes the
   * response *after* `await next()` (e.g. adds headers to `c.res`) does not see it; middleware that
   * sets headers before is unaffected. Default false; `bulwark serve` sets it (it owns its app).
   */
  readonly direct?: boolean | undefined;
  /**
   * The client address. Default: the socket address under @hono/node-server (`c.env.incoming`);
   * on other runtimes pass e.g. `getConnInfo(c).remote.address`.
   */
  readonly remoteAddress?: ((c: Context) => string | undefined) | undefined;
}

/** What the middleware form puts on the context, as `c.get('bulwark')`. */
export interface BulwarkContext<I, O> {
  readonly principal: Principal;
  /** The guarded call for this caller. Rejects with a BulwarkError on refusal (see `errorHandler`). */
  predict(input: I): Promise<GuardedResult<O>>;
  /** The request body as JSON, read within the configured limits. */
  readJson(): Promise<unknown>;
}

export type BulwarkVariables = { bulwark: BulwarkContext<unknown, unknown> };

/** The Node request under @hono/node-server, if that is the runtime. */
type NodeIncoming = Readable & { headers: Record<string, string | string[] | undefined>; socket?: { remoteAddress?: string } };

function nodeIncoming(c: Context): NodeIncoming | undefined {
  return (c.env as { incoming?: NodeIncoming } | undefined)?.incoming;
}

function nodeAddress(c: Context): string | undefined {
  return nodeIncoming(c)?.socket?.remoteAddress;
}

/**
 * A Hono request as the endpoint sees it. Under @hono/node-server it reads the Node request
 * (headers, body stream) directly: building the WHATWG Request, its Headers and its body stream
 * costs more than the rest of the guarded call. A class, not an object literal with getters:
 * those are slow to create on every request.
 */
class HonoRequest implements EndpointRequest {
  readonly remoteAddress: string | undefined;
  readonly #c: Context;
  readonly #incoming: NodeIncoming | undefined;

  constructor(c: Context, remote: (c: Context) => string | undefined) {
    this.#c = c;
    this.#incoming = nodeIncoming(c);
    this.remoteAddress = remote(c);
  }

  header(name: string): string | undefined {
    if (this.#incoming === undefined) return this.#c.req.header(name);
    const v = this.#incoming.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  }

  readBody(max: number): Promise<Uint8Array> {
    return this.#incoming === undefined ? readWebBody(this.#c.req.raw.body, max) : readNodeBody(this.#incoming, max);
  }

  discardBody(): Promise<boolean> {
    return this.#incoming === undefined ? Promise.resolve(false) : linger(this.#incoming);
  }

  get signal(): AbortSignal {
    return this.#c.req.raw.signal;
  }
}

function toEndpointRequest(c: Context, remote: (c: Context) => string | undefined): EndpointRequest {
  return new HonoRequest(c, remote);
}

function respond(c: Context, r: EndpointResponse): Response {
  return c.body(JSON.stringify(r.body), r.status as 200, r.headers);
}

/**
 * Handler for the predict contract: `{"inputs": [...]}` → `{"predictions": [...]}`.
 *
 * @example
 * ```ts
 * app.post('/v1/predict', predictHandler(guarded))
 * ```
 */
export function predictHandler(guarded: PredictGuarded, options: HonoAdapterOptions = {}): Handler {
  const endpoint = createPredictEndpoint(guarded, options);
  const remote = options.remoteAddress ?? nodeAddress;
  if (options.direct) {
    return async function bulwarkPredict(c) {
      const r = await endpoint.handle(toEndpointRequest(c, remote));
      const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
      if (outgoing === undefined || outgoing.headersSent) return respond(c, r);
      outgoing.statusCode = r.status;
      for (const name in r.headers) outgoing.setHeader(name, r.headers[name] as string);
      outgoing.end(JSON.stringify(r.body));
      return ALREADY_SENT;
    };
  }
  return async function bulwarkPredict(c) {
    return respond(c, await endpoint.handle(toEndpointRequest(c, remote)));
  };
}

/** @hono/node-server's protocol for "the handler wrote the Node response itself". */
const ALREADY_SENT = new Response(null, { headers: { 'x-hono-already-sent': 'true' } });

/**
 * Middleware form: resolves the caller and sets `c.get('bulwark')` (principal, guarded predict,
 * safe body reader) for handlers that shape their own response. Register `errorHandler` with
 * `app.onError` to answer refusals with the standard JSON error.
 *
 * @example
 * ```ts
 * const app = new Hono<{ Variables: BulwarkVariables }>()
 * app.post('/score', bulwark(guarded), async (c) => {
 *   const { output } = await c.get('bulwark').predict(rows)
 *   return c.json({ digit: output[0].label })
 * })
 * app.onError(errorHandler)
 * ```
 */
export function bulwark<I, O>(guarded: GuardedFunction<I, O>, options: HonoAdapterOptions = {}): MiddlewareHandler {
  const endpoint = createPredictEndpoint(guarded as unknown as PredictGuarded, options);
  const remote = options.remoteAddress ?? nodeAddress;
  return async function bulwarkMiddleware(c, next) {
    const er = toEndpointRequest(c, remote);
    let principal: Principal;
    try {
      principal = endpoint.principal(er);
    } catch (err) {
      return respond(c, errorResponse(err));
    }
    const ctx: BulwarkContext<I, O> = {
      principal,
      predict: (input) => guarded.run(input, new RequestCallOptions(principal, er)),
      readJson: () => endpoint.readJson(er),
    };
    c.set('bulwark', ctx);
    await next();
  };
}

/** For `app.onError`: Bulwark refusals become `{"error":{code,message}}`; anything else a plain 500. */
export const errorHandler: ErrorHandler = (err, c) => respond(c, errorResponse(isBulwarkError(err) ? err : undefined));
