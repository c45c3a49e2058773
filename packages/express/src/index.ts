/**
 * Express adapter: maps an Express request to the core endpoint and the core's response (or
 * error) back to Express. No logic of its own; see @bulwark/core `createPredictEndpoint`.
 */
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
} from '@bulwark/core';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';

export type ExpressAdapterOptions = EndpointOptions;

/** What the middleware form puts on `req.bulwark`. */
export interface BulwarkRequestContext<I, O> {
  readonly principal: Principal;
  /** The guarded call for this caller. Rejects with a BulwarkError on refusal: pass it to `next`. */
  predict(input: I): Promise<GuardedResult<O>>;
  /** The request body as JSON, read within the configured limits. */
  readJson(): Promise<unknown>;
}

declare global {
  namespace Express {
    interface Request {
      bulwark?: BulwarkRequestContext<unknown, unknown>;
    }
  }
}

/** An Express request as the endpoint sees it (a class: object literals with getters are slow to create). */
class ExpressRequest implements EndpointRequest {
  readonly remoteAddress: string | undefined;
  readonly parsedBody: unknown;
  #abort: AbortController | undefined;

  constructor(
    private readonly req: Request,
    private readonly res: Response,
  ) {
    this.remoteAddress = req.socket.remoteAddress;
    // Only a body that a parser upstream actually parsed (express.json sets req.body to {} otherwise).
    this.parsedBody = req.readableEnded && req.body !== undefined && req.body !== null && typeof req.body === 'object' ? req.body : undefined;
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  }

  readBody(max: number): Promise<Uint8Array> {
    return readNodeBody(this.req, max);
  }

  discardBody(): Promise<boolean> {
    return linger(this.req);
  }

  /** Made on first use: most predict functions never look at it. */
  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      const controller = new AbortController();
      this.res.once('close', () => this.res.writableFinished || controller.abort());
      this.#abort = controller;
    }
    return this.#abort.signal;
  }
}

function toEndpointRequest(req: Request, res: Response): EndpointRequest {
  return new ExpressRequest(req, res);
}

function send(res: Response, r: EndpointResponse): void {
  // Plain Node writes: Express's res.send would parse the content type and hash the body for an
  // ETag, neither of which a prediction answer needs.
  res.statusCode = r.status;
  for (const name in r.headers) res.setHeader(name, r.headers[name] as string);
  res.end(JSON.stringify(r.body));
}

/**
 * `POST` handler for the predict contract: `{"inputs": [...]}` → `{"predictions": [...]}`.
 *
 * @example
 * ```ts
 * app.post('/v1/predict', predictHandler(guarded))
 * ```
 */
export function predictHandler(guarded: PredictGuarded, options: ExpressAdapterOptions = {}): RequestHandler {
  const endpoint = createPredictEndpoint(guarded, options);
  return async function bulwarkPredict(req, res) {
    send(res, await endpoint.handle(toEndpointRequest(req, res)));
  };
}

/**
 * Middleware form: resolves the caller and puts `req.bulwark` (principal, guarded predict, safe
 * body reader) on the request, for handlers that shape their own response. Mount `errorHandler()`
 * after your routes to answer refusals with the standard JSON error.
 *
 * @example
 * ```ts
 * app.post('/score', bulwark(guarded), async (req, res) => {
 *   const { output } = await req.bulwark!.predict(rows)
 *   res.json({ fraud: output[0].label === 1 })
 * })
 * app.use(errorHandler())
 * ```
 */
export function bulwark<I, O>(guarded: GuardedFunction<I, O>, options: ExpressAdapterOptions = {}): RequestHandler {
  const endpoint = createPredictEndpoint(guarded as unknown as PredictGuarded, options);
  return function bulwarkMiddleware(req, res, next) {
    const er = toEndpointRequest(req, res);
    let principal: Principal;
    try {
      principal = endpoint.principal(er);
    } catch (err) {
      send(res, errorResponse(err));
      return;
    }
    req.bulwark = {
      principal,
      predict: (input) => guarded.run(input as I, new RequestCallOptions(principal, er)),
      readJson: () => endpoint.readJson(er),
    } satisfies BulwarkRequestContext<I, O> as BulwarkRequestContext<unknown, unknown>;
    next();
  };
}

/** Error middleware: Bulwark refusals become `{"error":{code,message}}` with their status; others go on. */
export function errorHandler(): ErrorRequestHandler {
  return function bulwarkErrorHandler(err, _req, res, next) {
    if (!isBulwarkError(err) || res.headersSent) {
      next(err);
      return;
    }
    send(res, errorResponse(err));
  };
}
