/**
 * Signing and verifying a model in the OpenSSF model-signing v1.0 format: an in-toto v1
 * statement (subject: the model's name and the digest over its resources; predicate: the
 * serialization and every file's sha256) in a DSSE envelope, in a Sigstore bundle (v0.3, JSON)
 * whose verification material names the key by hint. Bundles written here are read by the
 * OpenSSF `model_signing` tools for ECDSA P-256 keys, and bundles they write verify here.
 */

import type { KeyObject } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DsseEnvelope, IN_TOTO_PAYLOAD_TYPE, pae } from './dsse.js';
import { keyHint, signBytes, verifyBytes } from './keys.js';
import { computeManifest, DEFAULT_IGNORED, type Manifest, type Resource, rootDigest } from './manifest.js';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://model_signing/signature/v1.0';

export interface Bundle {
  readonly mediaType: string;
  readonly verificationMaterial: { readonly publicKey: { readonly hint: string }; readonly tlogEntries: readonly unknown[] };
  readonly dsseEnvelope: DsseEnvelope;
}

/** Where a model's signature lives by default: `model.sig` in a model folder, `<file>.sig` beside a single file. */
export function defaultSignaturePath(modelPath: string): string {
  return lstatSync(modelPath).isDirectory() ? join(modelPath, 'model.sig') : `${modelPath}.sig`;
}

/** The in-toto statement of a manifest. */
export function statementOf(m: Manifest): object {
  const resources = [...m.resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: m.name, digest: { sha256: rootDigest(resources) } }],
    predicateType: PREDICATE_TYPE,
    predicate: { serialization: m.serialization, resources },
  };
}

/** Signs a manifest: the bundle to write next to the model. */
export function signManifest(m: Manifest, privateKey: KeyObject, publicKey: KeyObject): Bundle {
  const payload = Buffer.from(JSON.stringify(statementOf(m)), 'utf8');
  const sig = signBytes(pae(IN_TOTO_PAYLOAD_TYPE, payload), privateKey);
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: keyHint(publicKey) }, tlogEntries: [] },
    dsseEnvelope: { payload: payload.toString('base64'), payloadType: IN_TOTO_PAYLOAD_TYPE, signatures: [{ sig: sig.toString('base64'), keyid: '' }] },
  };
}

/** Signs a model file or folder and writes its bundle; returns the path written. */
export function signModel(modelPath: string, keys: { privateKey: KeyObject; publicKey: KeyObject }, signaturePath = defaultSignaturePath(modelPath)): string {
  const manifest = computeManifest(modelPath, DEFAULT_IGNORED);
  writeFileSync(signaturePath, `${JSON.stringify(signManifest(manifest, keys.privateKey, keys.publicKey), null, 2)}\n`);
  return signaturePath;
}

export class VerificationError extends Error {
  override readonly name = 'VerificationError';
  constructor(readonly problems: readonly string[]) {
    super(`model verification failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Checks a Sigstore bundle (v0.3, one DSSE in-toto envelope, one signature) with a public key and
 * returns the signed payload: authenticated bytes, whose shape the caller still checks. Shared by
 * model signatures and dataset lineage manifests. Throws VerificationError naming the problem.
 */
export function verifiedPayload(bundleJson: string, publicKey: KeyObject): Buffer {
  let bundle: Bundle;
  try {
    bundle = JSON.parse(bundleJson) as Bundle;
  } catch {
    throw new VerificationError(['the signature is not JSON']);
  }
  const env = bundle?.dsseEnvelope;
  if (bundle?.mediaType !== BUNDLE_MEDIA_TYPE) throw new VerificationError([`not a Sigstore bundle v0.3 (mediaType ${JSON.stringify(bundle?.mediaType)})`]);
  if (env?.payloadType !== IN_TOTO_PAYLOAD_TYPE || typeof env.payload !== 'string' || !Array.isArray(env.signatures) || env.signatures.length !== 1) {
    throw new VerificationError(['the bundle does not hold one DSSE in-toto envelope with one signature']);
  }
  const hint = bundle.verificationMaterial?.publicKey?.hint;
  if (hint !== undefined && hint !== keyHint(publicKey)) throw new VerificationError(['signed with another key (the key hint does not match)']);
  const payload = Buffer.from(env.payload, 'base64');
  const sig = Buffer.from(String(env.signatures[0]?.sig), 'base64');
  if (!verifyBytes(pae(env.payloadType, payload), sig, publicKey)) throw new VerificationError(['the signature does not verify with this key']);
  return payload;
}

/**
 * Checks a bundle's signature with a public key and returns the manifest it signs (authenticated:
 * safe to compare files against). Throws VerificationError naming the problem.
 */
export function openBundle(bundleJson: string, publicKey: KeyObject): Manifest {
  const payload = verifiedPayload(bundleJson, publicKey);
  // From here on the content is authenticated; its shape is still checked before use.
  let st: { _type?: unknown; predicateType?: unknown; subject?: unknown; predicate?: { serialization?: unknown; resources?: unknown } };
  try {
    st = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new VerificationError(['the signed statement is not JSON']);
  }
  if (st._type !== STATEMENT_TYPE || st.predicateType !== PREDICATE_TYPE)
    throw new VerificationError([`not an OpenSSF model signature v1.0 statement (${String(st.predicateType)})`]);
  const subjects = st.subject as { name?: unknown; digest?: { sha256?: unknown } }[];
  const resources = st.predicate?.resources as Resource[];
  const serialization = st.predicate?.serialization as Manifest['serialization'];
  if (!Array.isArray(subjects) || subjects.length !== 1 || !Array.isArray(resources) || typeof serialization !== 'object' || serialization === null) {
    throw new VerificationError(['the statement lacks its subject, resources or serialization']);
  }
  for (const r of resources) {
    if (typeof r?.name !== 'string' || r.algorithm !== 'sha256' || !/^[0-9a-f]{64}$/.test(String(r.digest)))
      throw new VerificationError(['a resource is not { name, algorithm: sha256, digest }']);
  }
  if (subjects[0]?.digest?.sha256 !== rootDigest(resources))
    throw new VerificationError(['the subject digest does not match the resources (an inconsistent manifest)']);
  if (serialization.method !== 'files' || serialization.hash_type !== 'sha256' || serialization.allow_symlinks !== false) {
    throw new VerificationError([`unsupported serialization ${JSON.stringify(serialization)} (files, sha256, no symlinks)`]);
  }
  return { name: String(subjects[0]?.name), serialization, resources };
}

/**
 * Verifies a model file or folder against its signature: the signature with the key, then every
 * file: any missing, extra, renamed or changed file fails. Returns the authenticated manifest.
 * `knownDigests` (name → sha256 hex) skips re-reading files whose bytes the caller already holds.
 */
export function verifyModel(
  modelPath: string,
  publicKey: KeyObject,
  signaturePath = defaultSignaturePath(modelPath),
  options: { readonly knownDigests?: ReadonlyMap<string, string> } = {},
): Manifest {
  if (!existsSync(signaturePath)) throw new VerificationError([`no signature at ${signaturePath}`]);
  const signed = openBundle(readFileSync(signaturePath, 'utf8'), publicKey);
  const ignore = Array.isArray(signed.serialization.ignore_paths) ? signed.serialization.ignore_paths.map(String) : [...DEFAULT_IGNORED];
  let onDisk: Manifest;
  try {
    onDisk = computeManifest(modelPath, ignore, options.knownDigests);
  } catch (err) {
    throw new VerificationError([(err as Error).message]);
  }
  const problems: string[] = [];
  const want = new Map(signed.resources.map((r) => [r.name, r.digest]));
  const have = new Map(onDisk.resources.map((r) => [r.name, r.digest]));
  for (const [name, digest] of want) {
    const got = have.get(name);
    if (got === undefined) problems.push(`missing: ${name}`);
    else if (got !== digest) problems.push(`changed: ${name}`);
  }
  for (const name of have.keys()) if (!want.has(name)) problems.push(`not in the signature: ${name}`);
  if (problems.length > 0) throw new VerificationError(problems);
  return signed;
}
