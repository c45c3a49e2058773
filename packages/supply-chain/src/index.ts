export { atLeast, type Finding, quote, SEVERITIES, type Severity, severityCounts } from './findings.js';
export { exposeTensors } from './onnx/expose.js';
export { type ExternalFile, MAX_EXTERNAL_BYTES, readExternalData, readOnce } from './onnx/external.js';
export { DEFAULT_DOMAINS, DEFAULT_LIMITS, ELEMENT_BYTES, type OnnxLimits } from './onnx/rules.js';
export { type ExternalDataRef, locationProblem, type OnnxWalk, type OnnxWalkOptions, walkOnnx } from './onnx/walk.js';
export { disassemblePickle, type PickleGlobal, type PickleReport, pickleFindings } from './pickle/disassemble.js';
export { classifyGlobal, type GlobalClass } from './pickle/globals.js';
export { fields, ProtobufError, varint } from './protobuf/reader.js';
export { checkSafetensors, MAX_HEADER_BYTES } from './safetensors/check.js';
export { toSarif } from './scan/sarif.js';
export { type FileKind, type ScannedFile, type ScanOptions, type ScanReport, scanBytes, scanFile, scanPath } from './scan/scan.js';
export {
  BUNDLE_MEDIA_TYPE,
  type Bundle,
  defaultSignaturePath,
  openBundle,
  PREDICATE_TYPE,
  STATEMENT_TYPE,
  signManifest,
  signModel,
  statementOf,
  VerificationError,
  verifiedPayload,
  verifyModel,
} from './sign/bundle.js';
export { type DsseEnvelope, IN_TOTO_PAYLOAD_TYPE, pae } from './sign/dsse.js';
export {
  algorithmOf,
  generateKeys,
  type KeyAlgorithm,
  KeyError,
  type KeyPairPem,
  keyHint,
  privateKeyFrom,
  publicKeyFrom,
  signBytes,
  verifyBytes,
} from './sign/keys.js';
export {
  computeManifest,
  DEFAULT_IGNORED,
  listModelFiles,
  type Manifest,
  ManifestError,
  type Resource,
  rootDigest,
  type Serialization,
  sha256File,
} from './sign/manifest.js';
export { isZip, type ZipEntry, ZipError, zipEntries, zipEntryData } from './zip/read.js';
