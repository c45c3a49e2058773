/**
 * The detector contract. A detector finds one kind of personal data or secret in normalised text
 * (see ../normalize.ts) and reports where, never what: the scanner masks the original characters
 * behind each range. Built-in detectors are hand-written scanners; user detectors are patterns run
 * by the linear-time engine in ../pattern.ts. Either way a scan must take time linear in the text
 * (tested up to 1 MB on adversarial strings): redaction runs on attacker-influenced output.
 */

export type DetectorKind = 'pii' | 'secret';

export type Need = 'digit' | 'at' | 'colon' | 'dashes' | 'token12' | 'b64-32';

export interface Detector {
  /** kebab-case; appears in telemetry (`bulwark.redaction.detector`) and in masks such as `[email]`. */
  readonly id: string;
  readonly kind: DetectorKind;
  /** One line for docs and `bulwark redact --help`. */
  readonly description: string;
  /**
   * What the text must hold for this detector to find anything, so short strings without it are
   * skipped without a scan (see ../scan.ts `featuresOf`): a digit, an `@`, a `:`, `-----`, a run of
   * 12+ token characters, or of 32+ base64 characters. Absent: the detector always runs.
   */
  readonly needs?: Need | undefined;
  /**
   * Calls `found(start, end)` for each match in `text`, in increasing order and not overlapping
   * one another. Time linear in `text.length`.
   */
  scan(text: string, found: (start: number, end: number) => void): void;
}
