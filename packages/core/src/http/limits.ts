/** Limits on HTTP prediction requests. Every one of them is checked before the model sees anything. */
export interface HttpLimits {
  /** Largest body accepted, bytes (default 1 MiB). Checked from Content-Length and while reading. */
  readonly maxBodyBytes: number;
  /** Deepest JSON nesting accepted (default 8; the predict contract needs 3). */
  readonly maxDepth: number;
  /** Most rows in one request (default 1024). */
  readonly maxRows: number;
  /** Most numbers in one request (default 262,144). */
  readonly maxElements: number;
}

export const DEFAULT_LIMITS: HttpLimits = Object.freeze({
  maxBodyBytes: 1024 * 1024,
  maxDepth: 8,
  maxRows: 1024,
  maxElements: 262_144,
});
