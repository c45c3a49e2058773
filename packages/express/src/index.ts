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
  type PredictGuarded,
  type Principal,
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

function toEndpointRequest(req: Request, res: Response): EndpointRequest {
  let abort: AbortController | undefined;
  return {
    header: (name) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    },
    remoteAddress: req.socket.remoteAddress,
    // Only a body that a parser upstream actually parsed (express.json sets req.body to {} otherwise).
    parsedBody: req.readableEnded && req.body !== undefined && req.body !== null && typeof req.body === 'object' ? req.body : undefined,
    readBody: (max) => readNodeBody(req, max),
    // Made on first use: most predict functions never look at it.
    get signal() {
      if (abort === undefined) {
        const controller = new AbortController();
        res.once('close', () => res.writableFinished || controller.abort());
        abort = controller;
      }
      return abort.signal;
    },
  };
}

function send(res: Response, r: EndpointResponse): void {
  // Plain Node writes: Express's res.send would parse the content type and hash the body for an
  // ETag, neither of which a prediction answer needs.
  res.statusCode = r.status;
  for (const [name, value] of Object.entries(r.headers)) res.setHeader(name, value);
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
      predict: (input) =>
        guarded.run(input as I, {
          principal,
          get signal() {
            return er.signal;
          },
        }),
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
