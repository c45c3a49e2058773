/** What a check found in a model file: the shape shared by the ONNX walker, the scanners and SARIF. */

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** True when `s` is at or above `threshold`. */
export function atLeast(s: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(s) >= SEVERITIES.indexOf(threshold);
}

/** "0 critical, 1 high, …, 3 info": a report's summary line. */
export function severityCounts(findings: readonly { readonly severity: Severity }[]): string {
  return [...SEVERITIES]
    .reverse()
    .map((s) => `${findings.filter((f) => f.severity === s).length} ${s}`)
    .join(', ');
}

export interface Finding {
  /** Stable id, e.g. `onnx/external-data-traversal`, `pickle/code-execution`. */
  readonly rule: string;
  readonly severity: Severity;
  /** What was found, in a sentence (file contents quoted only as short, escaped strings). */
  readonly message: string;
  /** The file, relative to what was scanned. */
  readonly file?: string | undefined;
  /** Where in the file: a protobuf path (`graph.node[3].attribute[value].t`), a zip entry, a byte offset. */
  readonly where?: string | undefined;
}

/** A short, printable rendering of a string from a file (for messages). */
export function quote(s: string, max = 80): string {
  const j = JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
  return j.replace(/[^\x20-\x7e]/g, '?');
}
