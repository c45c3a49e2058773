/**
 * The body of `POST /v1/predict`: `{"inputs": number[] | number[][]}`. One row or a batch; every
 * row the same length; nothing else in the body. Shape against the model is checked by the model's
 * own validation; this checks the contract.
 */
import { BulwarkError } from '../errors.js';
import type { HttpLimits } from './limits.js';

const invalidRequest = (message: string, path?: string): BulwarkError => new BulwarkError('invalid_request', message, { path });
const invalidInput = (message: string, path: string): BulwarkError => new BulwarkError('invalid_input', message, { path });

/** Returns the rows of a predict body, or throws a coded error naming the first problem. */
export function parsePredictBody(body: unknown, limits: HttpLimits): number[][] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest('body must be a JSON object {"inputs": [...]}');
  }
  for (const key of Object.keys(body)) {
    if (key !== 'inputs') {
      const shown = key.length > 40 ? `${key.slice(0, 40)}…` : key;
      throw invalidRequest(`unknown field "${shown}" (expected only "inputs")`, shown);
    }
  }
  const inputs = (body as { inputs?: unknown }).inputs;
  if (inputs === undefined) throw invalidRequest('missing field "inputs"', 'inputs');
  if (!Array.isArray(inputs)) throw invalidInput('"inputs" must be an array of numbers or an array of rows', 'inputs');
  if (inputs.length === 0) throw invalidInput('"inputs" is empty', 'inputs');
  const rows: unknown[] = Array.isArray(inputs[0]) ? inputs : [inputs];
  if (rows.length > limits.maxRows) throw invalidInput(`at most ${limits.maxRows} rows per request (received ${rows.length})`, 'inputs');
  const width = (rows[0] as unknown[]).length;
  if (width === 0) throw invalidInput('rows must not be empty', 'inputs[0]');
  if (rows.length * width > limits.maxElements) throw invalidInput(`at most ${limits.maxElements} numbers per request`, 'inputs');
  const single = rows !== inputs;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const rowPath = single ? 'inputs' : `inputs[${r}]`;
    if (!Array.isArray(row)) throw invalidInput('every row must be an array of numbers', rowPath);
    if (row.length !== width) throw invalidInput(`every row must have ${width} values (received ${row.length})`, rowPath);
    for (let c = 0; c < width; c++) {
      const v = row[c];
      if (typeof v !== 'number') throw invalidInput('values must be numbers', `${rowPath}[${c}]`);
      // JSON.parse turns 1e400 into Infinity.
      if (!Number.isFinite(v)) throw invalidInput('values must be finite', `${rowPath}[${c}]`);
    }
  }
  return rows as number[][];
}
