/** A target in process: a guarded function (or any predict function) called directly. */
import { isBulwarkError, type PrincipalInput } from '@bulwark/core';
import type { Answer, Reply, Transport } from './target.js';

export type PredictLike = (rows: number[][], options: { principal: PrincipalInput }) => Promise<readonly Answer[]>;

/** Calls `predict` as the caller named by the key (or `attacker` without one). */
export function functionTransport(predict: PredictLike): Transport {
  return async (rows, key): Promise<Reply> => {
    try {
      const answers = await predict(rows as number[][], { principal: { kind: 'api-key', id: key ?? 'attacker' } });
      return { ok: true, answers };
    } catch (err) {
      if (!isBulwarkError(err)) throw err;
      return { ok: false, status: err.status, code: err.code, retryAfterSeconds: err.retryAfterSeconds };
    }
  };
}
