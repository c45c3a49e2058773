export { BUILTIN_DETECTOR_IDS, builtinDetectors } from './detectors/index.js';
export type { Detector, DetectorKind } from './detectors/types.js';
export { type NormalisedText, normalise, originalRange } from './normalize.js';
export { buildRedactor, type RedactionOptions, redactionSchema } from './options.js';
export { compilePaths, PathError, parsePath } from './paths.js';
export { type CompiledPattern, compilePattern, PatternError } from './pattern.js';
export { createRedactor, isSecretKey, type RedactionReport, type Redactor, type RedactorConfig } from './redactor.js';
export {
  findMatches,
  type Located,
  locateMatches,
  type Masking,
  type MaskStrategy,
  type Match,
  partial,
  pseudonym,
  redactString,
  type StringRedaction,
} from './scan.js';
