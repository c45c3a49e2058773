export { loadProfile, type ProfileFileOptions, profileFile } from './file.js';
export { Moments } from './linalg.js';
export {
  CALIBRATED_FPRS,
  type CalibratedFpr,
  type DataProfile,
  type FeatureProfile,
  PROFILE_FORMAT,
  ProfileBuilder,
  ProfileError,
  type ProfileOptions,
  type Provenance,
  type ScoreName,
} from './profile.js';
export { RowScorer, SCORE_CAP, type ScorerParams } from './scores.js';
export { classIndex, isJsonLines, readTable, type TableDigest, TableError, type TableHandlers } from './table.js';
