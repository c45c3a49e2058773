/**
 * Rows of plain JS numbers → one float32 tensor buffer, checked on the way: shape against the
 * model, numbers only, and finiteness *after* conversion (1e39 is a finite double but Infinity as
 * float32, and the model would see Infinity).
 */
import { BulwarkError } from '@bulwark/core';

const invalid = (message: string, path: string): BulwarkError => new BulwarkError('invalid_input', message, { path });

/** Throws `invalid_input` naming the first bad row or value; returns the float32 data otherwise. */
export function toFloat32Rows(rows: unknown, features: number, maxRows: number): Float32Array {
  const list = checkRowList(rows, maxRows);
  const data = new Float32Array(list.length * features);
  convertRows(list, features, data);
  return data;
}

/**
 * The same checks as `toFloat32Rows` without building the buffer: a model's `validate` runs
 * before the guards and `predict` converts after them (a guard may replace the rows). Keeping the
 * converted buffer between the two, in a WeakMap keyed by the rows, cost more than converting
 * twice: short-lived WeakMap keys are ephemerons that every young-generation collection must trace
 * (~7 µs per request at saturation on the fraud model, measured in `bulwark serve`).
 */
export function checkFloat32Rows(rows: unknown, features: number, maxRows: number): void {
  convertRows(checkRowList(rows, maxRows), features, undefined);
}

function checkRowList(rows: unknown, maxRows: number): readonly unknown[] {
  if (!Array.isArray(rows)) throw invalid('input must be an array of rows', 'inputs');
  if (rows.length === 0) throw invalid('input has no rows', 'inputs');
  if (rows.length > maxRows) throw invalid(`at most ${maxRows} rows per call (received ${rows.length})`, 'inputs');
  return rows;
}

/** Checks every row; writes the float32 values into `data` when given. */
function convertRows(rows: readonly unknown[], features: number, data: Float32Array | undefined): void {
  for (let r = 0; r < rows.length; r++) {
    const row: unknown = rows[r];
    if (!Array.isArray(row) && !ArrayBuffer.isView(row)) throw invalid('every row must be an array of numbers', `inputs[${r}]`);
    const values = row as ArrayLike<unknown>;
    if (values.length !== features) throw invalid(`the model takes ${features} features per row (received ${values.length})`, `inputs[${r}]`);
    const base = r * features;
    for (let c = 0; c < features; c++) {
      const v = values[c];
      if (typeof v !== 'number') throw invalid('values must be numbers', `inputs[${r}][${c}]`);
      // Checked on the float32 value: catches NaN, ±Infinity and float32 overflow alike.
      const f = Math.fround(v);
      if (!Number.isFinite(f)) throw invalid('value is not finite as float32', `inputs[${r}][${c}]`);
      if (data !== undefined) data[base + c] = f;
    }
  }
}
