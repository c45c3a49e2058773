/** A target in process: a guarded function (or any predict function) called directly. */
import { isBulwarkError, type PrincipalInput } from '@bulwark/core';
import type { Answer, Reply, Transport } from './target.js';

export type PredictLike = (rows: number[][], options: { principal: PrincipalInput }) => Promise<readonly Answer[]>;

/** Calls `predict` as the caller named by the key, else by the address (or `attacker` with neither). */
export function functionTransport(predict: PredictLike): Transport {
  return async (rows, key, address): Promise<Reply> => {
    try {
      const principal: PrincipalInput = key === undefined && address !== undefined ? { kind: 'ip', id: address } : { kind: 'api-key', id: key ?? 'attacker' };
      const answers = await predict(rows as number[][], { principal });
      return { ok: true, answers };
    } catch (err) {
      if (!isBulwarkError(err)) throw err;
      return { ok: false, status: err.status, code: err.code, retryAfterSeconds: err.retryAfterSeconds };
    }
  };
}
