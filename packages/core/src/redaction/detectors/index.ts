/** The built-in detectors, in the order their matches win when two overlap at the same start. */
import { card } from './card.js';
import { email } from './email.js';
import { iban } from './iban.js';
import { ipv4, ipv6 } from './ip.js';
import { phone } from './phone.js';
import { apiKey, credential, highEntropy, jwt, privateKey } from './secrets.js';
import { ssn } from './ssn.js';
import type { Detector } from './types.js';

export type { Detector, DetectorKind } from './types.js';

export const builtinDetectors: readonly Detector[] = Object.freeze([
  privateKey,
  jwt,
  apiKey,
  credential,
  email,
  card,
  iban,
  ssn,
  phone,
  ipv4,
  ipv6,
  highEntropy,
]);

export const BUILTIN_DETECTOR_IDS: readonly string[] = Object.freeze(builtinDetectors.map((d) => d.id));
