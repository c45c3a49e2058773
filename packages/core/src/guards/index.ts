/**
 * The built-in guards: the one list policies resolve `use:` against. Adding a guard is a folder
 * under guards/ exporting one `defineGuard(...)`, and one line here.
 */
import { budget } from './budget/index.js';
import { canaries } from './canaries/index.js';
import type { GuardDefinition } from './define.js';
import { dpNoise } from './dp-noise/index.js';
import { extractionDetection } from './extraction-detection/index.js';
import { featureSqueezing } from './feature-squeezing/index.js';
import { maskOutput } from './mask-output/index.js';
import { minimiseOutput } from './minimise-output/index.js';
import { nearDuplicates } from './near-duplicates/index.js';
import { ood } from './ood/index.js';
import { redact } from './redact/index.js';
import { reverseSigmoid } from './reverse-sigmoid/index.js';
import { riskResponse } from './risk-response/index.js';
import { validateInput } from './validate-input/index.js';

export const builtinGuards: readonly GuardDefinition[] = Object.freeze([
  maskOutput as GuardDefinition,
  budget as GuardDefinition,
  validateInput as GuardDefinition,
  ood as GuardDefinition,
  nearDuplicates as GuardDefinition,
  extractionDetection as GuardDefinition,
  riskResponse as GuardDefinition,
  featureSqueezing as GuardDefinition,
  canaries as GuardDefinition,
  dpNoise as GuardDefinition,
  reverseSigmoid as GuardDefinition,
  redact as GuardDefinition,
  minimiseOutput as GuardDefinition,
]);
