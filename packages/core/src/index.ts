export {
  type Bulwark,
  type BulwarkOptions,
  type CallOptions,
  createBulwark,
  type DecisionInfo,
  type GuardedFunction,
  type GuardedResult,
  type WrapOptions,
} from './bulwark.js';
export {
  BulwarkError,
  type BulwarkErrorOptions,
  ConfigError,
  type ConfigIssue,
  ERROR_CODES,
  type ErrorCode,
  formatIssue,
  isBulwarkError,
  statusOf,
} from './errors.js';
export {
  type BudgetOptions,
  type BudgetPolicyOptions,
  budget,
  budgetPolicySchema,
  DEFAULT_WEIGHTS,
  type GlobalLimits,
  type PeriodName,
  type TierLimits,
} from './guards/budget/index.js';
export { PERIOD_MS } from './guards/budget/schema.js';
export { type MaskOutputOptions, maskOutput } from './guards/mask-output/index.js';
export {
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
export { readNodeBody, readWebBody } from './http/read-body.js';
export {
  type ApiKeyEntry,
  createPrincipalResolver,
  type PrincipalResolver,
  type PrincipalResolverOptions,
  type RequestIdentity,
} from './http/resolve-principal.js';
export { checkParsedJson, jsonDepth, parseJsonSafely } from './http/safe-json.js';
export { epsilonAt, MICRO, type PrivacyBudget, PrivacyLedger, type PrivacyLedgerOptions, type Reservation, toMicro } from './ledger/privacy-ledger.js';
export {
  builtinGuards,
  configureGuard,
  type GuardFactory,
  type GuardFactoryContext,
  type GuardSpec,
  guardsFromPolicy,
  loadPolicy,
  type Policy,
  parsePolicy,
  policySchema,
  type StoreSpec,
  storesFromPolicy,
} from './policy/policy.js';
export { type Infer, parseOptions, type Schema, s } from './policy/schema.js';
export { addressKey } from './principal/ip.js';
export { type Principal, PrincipalHasher, type PrincipalInput, type PrincipalKind } from './principal/principal.js';
export { increment as gcraIncrement, MemoryStore, type MemoryStoreOptions, windowEnd } from './stores/memory.js';
export { type BudgetStore, type ConsumeResult, type LimitCheck, type LimitKind, type LimitState, StoreError } from './stores/types.js';
export type { TelemetryOptions } from './telemetry/instrumentation.js';
export * as semconv from './telemetry/semconv.js';
export type {
  AllowVerdict,
  AnyGuard,
  Attributes,
  Decision,
  DenyVerdict,
  FlagVerdict,
  Guard,
  GuardAction,
  GuardContext,
  GuardMode,
  GuardVerdict,
  ModelDescriptor,
  ModifyVerdict,
  OutputForm,
  Prediction,
  SettleOutcome,
} from './types.js';
