export {
  type Bulwark,
  type BulwarkOptions,
  type CallOptions,
  createBulwark,
  type GuardedFunction,
  type GuardedResult,
  type WrapOptions,
} from './bulwark.js';
export { medianSmooth, reduceBitDepth, type Squeezer, squeezingScores, squeezingThreshold } from './detection/squeeze.js';
export {
  asDisclosure,
  DISCLOSURE_KINDS,
  type Disclosure,
  type DisclosureKind,
  describeDisclosure,
  disclose,
  LABEL,
  RAW,
} from './disclosure.js';
export {
  BulwarkError,
  type BulwarkErrorOptions,
  CONFIG_DOCS,
  ConfigError,
  type ConfigIssue,
  type ConfigIssueCode,
  type ConfigIssueInput,
  ERROR_CODES,
  type ErrorCode,
  formatIssue,
  isBulwarkError,
  isConfigError,
  prefixIssues,
  statusOf,
} from './errors.js';
export { type BudgetGuard, type BudgetOptions, type BudgetWeights, budget, type GlobalLimits, type TierLimits } from './guards/budget/index.js';
export { type CanariesOptions, canaries } from './guards/canaries/index.js';
export {
  type CommonGuardOptions,
  configureGuard,
  defineGuard,
  fromStandardSchema,
  type GuardDefinition,
  type GuardFactory,
  type GuardFactoryContext,
  isGuardDefinition,
  type NamedStore,
  type OptionsSchema,
} from './guards/define.js';
export { type DpNoiseOptions, dpNoise } from './guards/dp-noise/index.js';
export { type ExtractionDetectionOptions, extractionDetection } from './guards/extraction-detection/index.js';
export { type FeatureSqueezingOptions, featureSqueezing } from './guards/feature-squeezing/index.js';
export { builtinGuards } from './guards/index.js';
export { type MaskOutputOptions, maskOutput } from './guards/mask-output/index.js';
export { capVector, type MinimiseOutputOptions, minimiseOutput } from './guards/minimise-output/index.js';
export { type NearDuplicatesOptions, nearDuplicates } from './guards/near-duplicates/index.js';
export { anomalyRateExceeded, type OodOptions, ood } from './guards/ood/index.js';
export { type RedactOptions, redact, reportAttributes } from './guards/redact/index.js';
export { type ReverseSigmoidOptions, reverseSigmoid } from './guards/reverse-sigmoid/index.js';
export { type RiskResponseOptions, riskResponse } from './guards/risk-response/index.js';
export { type ValidateInputOptions, validateInput } from './guards/validate-input/index.js';
export {
  clip,
  createPredictEndpoint,
  type EndpointOptions,
  type EndpointRequest,
  type EndpointResponse,
  errorResponse,
  type PredictEndpoint,
  type PredictGuarded,
  RequestCallOptions,
} from './http/endpoint.js';
export { DEFAULT_LIMITS, type HttpLimits } from './http/limits.js';
export { parsePredictBody } from './http/predict-body.js';
export { LINGER_BYTES, linger, readNodeBody, readWebBody } from './http/read-body.js';
export {
  type ApiKeyEntry,
  createPrincipalResolver,
  type PrincipalResolver,
  type PrincipalResolverOptions,
  type RequestIdentity,
} from './http/resolve-principal.js';
export { checkParsedJson, jsonDepth, parseJsonSafely } from './http/safe-json.js';
export { epsilonAt, MICRO, type PrivacyBudget, PrivacyLedger, type PrivacyLedgerOptions, type Reservation, toMicro } from './ledger/privacy-ledger.js';
export { guardsFromPolicy, type StoreFactories, storesFromPolicy } from './policy/build.js';
export { firstDuplicateKey, parseStrictJson } from './policy/json.js';
export { type GuardSpec, loadPolicy, type ParsePolicyOptions, type Policy, parsePolicy, policySchema, resolvePolicy, type StoreSpec } from './policy/policy.js';
export { type Infer, type Input, parseOptions, type Schema, s } from './policy/schema.js';
export { addressKey } from './principal/ip.js';
export { type Principal, PrincipalHasher, type PrincipalInput, type PrincipalKind } from './principal/principal.js';
export {
  argmax,
  fromGrid,
  GRID_BITS,
  gaussianScale,
  laplaceScale,
  type NoiseScale,
  postProcess,
  releaseNoisyMax,
  releaseScores,
  reverseSigmoid as reverseSigmoidScores,
  sampleNoise,
  toGrid,
} from './privacy/mechanisms.js';
export { ConsistentNoise, NoisePool, quantiseRow } from './privacy/noise-source.js';
export { Bits, bernoulli, bernoulliExp, bernoulliExp1, discreteGaussian, discreteLaplace, geometricExp } from './privacy/samplers.js';
export {
  CALIBRATED_FPRS,
  type CalibratedFpr,
  classIndex,
  type DataProfile,
  type FeatureProfile,
  loadProfile,
  PROFILE_FORMAT,
  ProfileBuilder,
  ProfileError,
  type ProfileFileOptions,
  type ProfileOptions,
  type Provenance,
  profileFile,
  RowScorer,
  readTable,
  type ScoreName,
  type TableDigest,
  TableError,
  type TableHandlers,
} from './profile/index.js';
export {
  BUILTIN_DETECTOR_IDS,
  buildRedactor,
  builtinDetectors,
  type CompiledPattern,
  compilePattern,
  createRedactor,
  type Detector,
  type DetectorKind,
  isSecretKey,
  type Located,
  locateMatches,
  type Masking,
  type MaskStrategy,
  normalise,
  PathError,
  PatternError,
  type RedactionOptions,
  type RedactionReport,
  type Redactor,
  type RedactorConfig,
  redactionSchema,
  redactString,
} from './redaction/index.js';
export { scrubAttributes, scrubText } from './redaction/scrub.js';
export { type Clock, systemClock } from './runtime/clock.js';
export { type LogFields, type Logger, processLogger, scrubbingLogger } from './runtime/logger.js';
export { cryptoRandom, type RandomSource, randomBelow, randomUint32, randomUnit } from './runtime/random.js';
export { randomRequestId } from './runtime/request-id.js';
export { budgetTighteningKey, createSignalKey, riskKey, type SignalKey, type SignalWrite } from './signals.js';
export {
  DECAY_HALF_LIVES_KEPT,
  DETECTOR_LIMITS,
  type DetectorOp,
  type DetectorResult,
  type DetectorStore,
  decayed,
  detectorOpProblem,
  isDetectorStore,
} from './stores/detector.js';
export { MemoryStore, type MemoryStoreOptions, windowEnd } from './stores/memory.js';
export { type BudgetStore, type ConsumeResult, isBudgetStore, type LimitCheck, type LimitKind, type LimitState, StoreError } from './stores/types.js';
export type { TelemetryOptions } from './telemetry/instrumentation.js';
export * as semconv from './telemetry/semconv.js';
export type {
  AllowVerdict,
  AnyGuard,
  Attributes,
  Decision,
  DecisionInfo,
  DenyVerdict,
  FlagVerdict,
  Guard,
  GuardAction,
  GuardContext,
  GuardMode,
  GuardVerdict,
  ModelDescriptor,
  ModifyVerdict,
  Prediction,
  SettleOutcome,
  VerdictHeaders,
} from './types.js';
export { splitCsvLine } from './util/csv.js';
export { PERIOD_MS, PERIODS, type PeriodName } from './util/periods.js';
export { isThenable, TimeoutError, withTimeout } from './util/timeout.js';
