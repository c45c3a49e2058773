export { type AveragingOptions, type AveragingPoint, type AveragingResult, averagingAttack } from './attacks/averaging.js';
export { boundsOf, type Dataset, type Progress, queryAll, scaleOf } from './attacks/common.js';
export { type AdversarialExample, type EvasionMethod, type EvasionOptions, type EvasionResult, evasionAttack } from './attacks/evasion.js';
export {
  type ExtractionOptions,
  type ExtractionPoint,
  type ExtractionResult,
  type ExtractionStrategy,
  extractionAttack,
  softLabel,
} from './attacks/extraction.js';
export { type HopSkipJumpOptions, hopSkipJump, type SearchContext } from './attacks/hopskipjump.js';
export { type LabelOnlyOptions, type LabelOnlyResult, labelOnlyAttack } from './attacks/label-only.js';
export { type LiraOptions, type LiraResult, liraAttack, logit, trainShadows } from './attacks/lira.js';
export { type MembershipOptions, type MembershipResult, type MembershipScoreName, membershipAttack } from './attacks/membership.js';
export { type MembershipScore, scoreMembership } from './attacks/membership-score.js';
export { type TransferOptions, type TransferResult, transferAttack } from './attacks/transfer.js';
export { DataError, type LabelledData, readDataset } from './data/read.js';
export { adversarialDataset } from './export.js';
export { checkGates, type GateResult, type GateStatus, type Gates, gatesSchema, parseGates } from './gates.js';
export { advantage, auc, type RocPoint, roc, tprAtFpr } from './ml/metrics.js';
export { argmax, Mlp, type MlpOptions, oneHot } from './ml/mlp.js';
export { DEFAULT_RECIPE, type TrainingRecipe, trainByRecipe } from './ml/recipe.js';
export {
  type AuditKey,
  clopperPearson,
  correlation,
  type DpVerdict,
  type EpsilonBound,
  epsilonLowerBound,
  histogramDistance,
  type Release,
  regularisedBeta,
  verifyDp,
} from './privacy/audit.js';
export { type AuditCase, auditCases, gridKey } from './privacy/mechanisms.js';
export { toHtml } from './report/html.js';
export { toMarkdown } from './report/markdown.js';
export {
  type AttackerKnowledge,
  type AttackResult,
  type AttackRun,
  attackKey,
  baselineOf,
  changeAgainst,
  describeRun,
  formatHeadline,
  type Headline,
  headline,
  type Report,
  type UtilityRow,
  verdicts,
} from './report/report.js';
export { barChart, lineChart, mergeIdentical, type ReferenceLine, type Series } from './report/svg.js';
export { Rng } from './rng.js';
export { bootstrap, difference, type Estimate, formatEstimate, rate, wilson } from './stats/intervals.js';
export { type BlindingOptions, blindQueries } from './target/blinding.js';
export { functionTransport, type PredictLike } from './target/function.js';
export { type HttpMapping, httpTransport } from './target/http.js';
export {
  type Answer,
  createTarget,
  DETECTION_CODES,
  type IdentityStats,
  type Reply,
  snapshotStats,
  type Target,
  type TargetOptions,
  type TargetStats,
  type Transport,
} from './target/target.js';
export { assertRobust } from './vitest.js';
