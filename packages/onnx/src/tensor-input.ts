/**
 * Rows of plain JS numbers → one float32 tensor buffer, checked on the way: shape against the
 * model, numbers only, and finiteness *after* conversion (1e39 is a finite double but Infinity as
 * float32, and the model would see Infinity).
 */
import { BulwarkError } from '@bulwark/core';

const invalid = (message: string, path: string): BulwarkError => new BulwarkError('invalid_input', message, { path });

/** Throws `invalid_input` naming the first bad row or value; returns the float32 data otherwise. */
export function toFloat32Rows(rows: unknown, features: number, maxRows: number): Float32Array {
  if (!Array.isArray(rows)) throw invalid('input must be an array of rows', 'inputs');
  if (rows.length === 0) throw invalid('input has no rows', 'inputs');
  if (rows.length > maxRows) throw invalid(`at most ${maxRows} rows per call (received ${rows.length})`, 'inputs');
  const data = new Float32Array(rows.length * features);
  for (let r = 0; r < rows.length; r++) {
    const row: unknown = rows[r];
    if (!Array.isArray(row) && !ArrayBuffer.isView(row)) throw invalid('every row must be an array of numbers', `inputs[${r}]`);
    const values = row as ArrayLike<unknown>;
    if (values.length !== features) throw invalid(`the model takes ${features} features per row (received ${values.length})`, `inputs[${r}]`);
    const base = r * features;
    for (let c = 0; c < features; c++) {
      const v = values[c];
      if (typeof v !== 'number') throw invalid('values must be numbers', `inputs[${r}][${c}]`);
      data[base + c] = v;
      // Checked on the float32 value: catches NaN, ±Infinity and float32 overflow alike.
      if (!Number.isFinite(data[base + c])) throw invalid('value is not finite as float32', `inputs[${r}][${c}]`);
    }
  }
  return data;
}
