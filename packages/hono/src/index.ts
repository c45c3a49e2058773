/**
 * Hono adapter: maps a Hono context to the core endpoint and the core's response (or error) back
 * to a Response. No logic of its own; see @bulwark/core `createPredictEndpoint`.
 */

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
  type PredictGuarded,
  type Principal,
  readNodeBody,
  readWebBody,
} from '@bulwark/core';
import type { Context, ErrorHandler, Handler, MiddlewareHandler } from 'hono';

export interface HonoAdapterOptions extends EndpointOptions {
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

function toEndpointRequest(c: Context, remote: (c: Context) => string | undefined): EndpointRequest {
  const incoming = nodeIncoming(c);
  return {
    // Under @hono/node-server, read the Node request's headers: c.req.header() would build the
    // WHATWG Request and its Headers first.
    header:
      incoming === undefined
        ? (name) => c.req.header(name)
        : (name) => {
            const v = incoming.headers[name];
            return Array.isArray(v) ? v.join(', ') : v;
          },
    remoteAddress: remote(c),
    // Under @hono/node-server, read the Node stream itself: building the WHATWG Request and its
    // body stream costs more than the rest of the guarded call.
    readBody: (max) => (incoming === undefined ? readWebBody(c.req.raw.body, max) : readNodeBody(incoming, max)),
    get signal() {
      return c.req.raw.signal;
    },
  };
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
  return async function bulwarkPredict(c) {
    return respond(c, await endpoint.handle(toEndpointRequest(c, remote)));
  };
}

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
      predict: (input) =>
        guarded.run(input, {
          principal,
          get signal() {
            return er.signal;
          },
        }),
      readJson: () => endpoint.readJson(er),
    };
    c.set('bulwark', ctx);
    await next();
  };
}

/** For `app.onError`: Bulwark refusals become `{"error":{code,message}}`; anything else a plain 500. */
export const errorHandler: ErrorHandler = (err, c) => respond(c, errorResponse(isBulwarkError(err) ? err : undefined));
