/**
 * @bulwark/data: training-data defences against poisoning, upstream of serving. `validateFile`
 * checks a batch against the profile `bulwark profile` wrote (CLI: `bulwark validate`).
 */

export { activationClustering, type BackdoorResult, type ClassResult, spectralSignatures, topComponents } from './backdoor/detectors.js';
export { findLabelIssues, LabelIssueError, type LabelIssues } from './label-issues/confident-learning.js';
export {
  createLineage,
  LINEAGE_PREDICATE_TYPE,
  type LineageArtifact,
  LineageError,
  type LineageFile,
  type LineageOptions,
  type LineagePredicate,
  type LineageStatement,
  openLineage,
  predicateDigest,
  verifyLineage,
  verifyLineageChain,
} from './lineage/lineage.js';
export { chiSquareSurvival, gammaP, gammaQ, groupBins, kolmogorovSurvival, ksPValue, logGamma, poissonAtLeast, psi } from './stats.js';
export {
  BatchValidator,
  type FeatureCheck,
  type ValidateOptions,
  ValidationError,
  type ValidationReport,
  validateFile,
} from './validate/validate.js';
