/**
 * Dataset lineage: a signed manifest of one version of a dataset — its files (sha256, bytes,
 * rows), the profile computed from it, the models trained on it, the version it was derived from
 * and how — so that a served model, its profile and its data form one chain an auditor can check.
 *
 * The manifest is an in-toto v1 statement (predicate type `LINEAGE_PREDICATE_TYPE`) in a DSSE
 * envelope in a Sigstore bundle (v0.3, JSON): the format and keys of model signing
 * (`bulwark keygen/sign`), so one key and one verifier serve both. The subject is the dataset
 * version, its digest the sha256 of the canonical predicate; a child names its parent by that
 * digest (and the path of its manifest), so a chain of versions verifies link by link.
 *
 * Paths in a manifest are relative to the manifest's folder (`../v1/lineage.json` for a sibling
 * version), never absolute. They are trusted only as far as the signature: a verifier reads them
 * after the manifest verifies with the verifier's own key, so they are the signer's statements;
 * an absolute path (or a drive) is refused even then, so a manifest moved with its data keeps
 * naming that data and nothing else on the verifier's machine.
 */
import type { KeyObject } from 'node:crypto';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { readTable, TableError } from '@bulwark/core';
import {
  BUNDLE_MEDIA_TYPE,
  type Bundle,
  IN_TOTO_PAYLOAD_TYPE,
  keyHint,
  pae,
  STATEMENT_TYPE,
  sha256File,
  signBytes,
  VerificationError,
  verifiedPayload,
} from '@bulwark/supply-chain';

export const LINEAGE_PREDICATE_TYPE = 'https://bulwark.dev/dataset-lineage/v1';

export interface LineageFile {
  /** Path relative to the manifest's folder, POSIX separators. */
  readonly name: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Data rows (a header row is not counted). */
  readonly rows: number;
}

export interface LineageArtifact {
  readonly name: string;
  readonly sha256: string;
}

export interface LineagePredicate {
  readonly files: readonly LineageFile[];
  /** The profile computed from one of the files (its provenance sha256 names which). */
  readonly profile: LineageArtifact | null;
  /** Models trained on this version. */
  readonly models: readonly LineageArtifact[];
  /** The version this one was derived from: its manifest (path) and that manifest's subject digest. */
  readonly parent: LineageArtifact | null;
  /** How it was derived from the parent (a command, a script and its version, a sentence). */
  readonly transform: string | null;
  readonly createdAt: string;
  readonly tool: string;
}

export interface LineageStatement {
  readonly name: string;
  /** sha256 of the canonical predicate: what a child names as its parent. */
  readonly digest: string;
  readonly predicate: LineagePredicate;
}

export interface LineageOptions {
  /** The dataset version's name (default: the first file's name). */
  readonly name?: string | undefined;
  readonly profile?: string | undefined;
  readonly models?: readonly string[] | undefined;
  /** The parent's signed manifest; it is verified with `parentKey` (default: the signer's key) before it is linked. */
  readonly parent?: string | undefined;
  readonly parentKey?: KeyObject | undefined;
  readonly transform?: string | undefined;
  readonly tool?: string | undefined;
}

export class LineageError extends Error {
  override readonly name = 'LineageError';
}

/** Canonical JSON (sorted keys) of a value: what the digest of a predicate is taken over. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export const predicateDigest = (p: LineagePredicate): string => createHash('sha256').update(canonical(p)).digest('hex');

/** A path relative to `base`, POSIX; refuses one that has no relative form (another drive). */
function relativeName(base: string, path: string): string {
  const rel = relative(base, path);
  if (rel === '' || isAbsolute(rel)) throw new LineageError(`${path} cannot be named relative to the manifest's folder ${base}`);
  return rel.split(sep).join('/');
}

/** The file a manifest names, relative to its folder; an absolute name is refused. */
function resolveName(base: string, name: string): string {
  if (typeof name !== 'string' || name === '' || name.includes('\0') || isAbsolute(name) || /^[a-zA-Z]:/.test(name))
    throw new VerificationError([`the manifest names a path that is not relative to its folder: ${JSON.stringify(String(name)).slice(0, 80)}`]);
  return join(base, name);
}

async function describeData(path: string, base: string): Promise<LineageFile> {
  let rows = 0;
  try {
    const d = await readTable(path, {
      onColumns() {},
      onRow() {
        rows++;
      },
    });
    return { name: relativeName(base, path), sha256: d.sha256, bytes: d.bytes, rows };
  } catch (err) {
    if (err instanceof TableError) throw new LineageError(`${path}: ${err.message}`);
    throw err;
  }
}

const profileSource = (path: string): string => {
  try {
    const p = JSON.parse(readFileSync(path, 'utf8')) as { format?: string; provenance?: { sha256?: string } };
    if (p.format !== 'bulwark-profile' || typeof p.provenance?.sha256 !== 'string') throw new Error();
    return p.provenance.sha256;
  } catch {
    throw new LineageError(`${path} is not a profile written by bulwark profile`);
  }
};

/**
 * Builds and signs the lineage manifest of the data `files`, to be written at `out` (names are
 * relative to its folder). Refuses a profile computed from none of the files.
 */
export async function createLineage(
  out: string,
  files: readonly string[],
  keys: { readonly privateKey: KeyObject; readonly publicKey: KeyObject },
  options: LineageOptions = {},
): Promise<Bundle> {
  if (files.length === 0) throw new LineageError('a dataset version needs at least one data file');
  const base = dirname(out);
  const described: LineageFile[] = [];
  for (const f of files) described.push(await describeData(f, base));
  let profile: LineageArtifact | null = null;
  if (options.profile !== undefined) {
    const source = profileSource(options.profile);
    if (!described.some((f) => f.sha256 === source))
      throw new LineageError(`${options.profile} was computed from data that is not in this version (its provenance sha256 is ${source.slice(0, 16)}…)`);
    profile = { name: relativeName(base, options.profile), sha256: sha256File(options.profile) };
  }
  const models = (options.models ?? []).map((m) => ({ name: relativeName(base, m), sha256: sha256File(m) }));
  let parent: LineageArtifact | null = null;
  if (options.parent !== undefined) {
    const p = await verifyLineage(options.parent, options.parentKey ?? keys.publicKey);
    parent = { name: relativeName(base, options.parent), sha256: p.digest };
  }
  const predicate: LineagePredicate = {
    files: described,
    profile,
    models,
    parent,
    transform: options.transform ?? null,
    createdAt: new Date().toISOString(),
    tool: options.tool ?? '@bulwark/data',
  };
  const statement = {
    _type: STATEMENT_TYPE,
    subject: [{ name: options.name ?? described[0]?.name, digest: { sha256: predicateDigest(predicate) } }],
    predicateType: LINEAGE_PREDICATE_TYPE,
    predicate,
  };
  const payload = Buffer.from(JSON.stringify(statement), 'utf8');
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: keyHint(keys.publicKey) }, tlogEntries: [] },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      signatures: [{ sig: signBytes(pae(IN_TOTO_PAYLOAD_TYPE, payload), keys.privateKey).toString('base64'), keyid: '' }],
    },
  };
}

/** Checks the bundle's signature and returns its statement (authenticated, shape checked). */
export function openLineage(bundleJson: string, publicKey: KeyObject): LineageStatement {
  const payload = verifiedPayload(bundleJson, publicKey);
  let st: { _type?: unknown; predicateType?: unknown; subject?: { name?: unknown; digest?: { sha256?: unknown } }[]; predicate?: LineagePredicate };
  try {
    st = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new VerificationError(['the signed statement is not JSON']);
  }
  if (st._type !== STATEMENT_TYPE || st.predicateType !== LINEAGE_PREDICATE_TYPE)
    throw new VerificationError([`not a dataset lineage statement (${String(st.predicateType).slice(0, 80)})`]);
  const p = st.predicate;
  const subject = st.subject?.[0];
  if (st.subject?.length !== 1 || typeof subject?.name !== 'string' || !p || !Array.isArray(p.files) || !Array.isArray(p.models))
    throw new VerificationError(['the statement lacks its subject, files or models']);
  const digest = predicateDigest(p);
  if (subject.digest?.sha256 !== digest) throw new VerificationError(['the subject digest does not match the predicate (an inconsistent manifest)']);
  return { name: subject.name, digest, predicate: p };
}

/**
 * Verifies a lineage manifest and the chain it anchors: the signature; every data file, the
 * profile and every model against their sha256; the profile's provenance against the data; and
 * the parent, recursively, against the digest this manifest names. Throws VerificationError
 * listing every problem found.
 */
export async function verifyLineage(path: string, publicKey: KeyObject): Promise<LineageStatement> {
  return (await verifyLineageChain(path, publicKey))[0] as LineageStatement;
}

/** As `verifyLineage`, returning every version of the chain: this one first, then its parent, and so on. */
export async function verifyLineageChain(path: string, publicKey: KeyObject): Promise<LineageStatement[]> {
  const chain: LineageStatement[] = [];
  await verifyLink(path, publicKey, chain);
  return chain;
}

async function verifyLink(path: string, publicKey: KeyObject, chain: LineageStatement[]): Promise<LineageStatement> {
  if (!existsSync(path)) throw new VerificationError([`no lineage manifest at ${path}`]);
  const st = openLineage(readFileSync(path, 'utf8'), publicKey);
  if (chain.some((c) => c.digest === st.digest)) throw new VerificationError(['the lineage chain loops']);
  chain.push(st);
  const base = dirname(path);
  const problems: string[] = [];
  const hash = (name: string, kind: string, want: string): string | undefined => {
    const file = resolveName(base, name);
    if (!existsSync(file)) {
      problems.push(`missing ${kind}: ${name}`);
      return undefined;
    }
    const got = sha256File(file);
    if (got !== want) problems.push(`${kind} changed: ${name} (sha256 ${got.slice(0, 16)}…, signed ${String(want).slice(0, 16)}…)`);
    return got;
  };
  for (const f of st.predicate.files) hash(f.name, 'data file', f.sha256);
  const profile = st.predicate.profile;
  if (profile) {
    if (hash(profile.name, 'profile', profile.sha256) === profile.sha256) {
      const source = profileSource(resolveName(base, profile.name));
      if (!st.predicate.files.some((f) => f.sha256 === source)) problems.push(`the profile ${profile.name} was not computed from this version's data`);
    }
  }
  for (const m of st.predicate.models) hash(m.name, 'model', m.sha256);
  if (problems.length > 0) throw new VerificationError(problems.map((p) => `${st.name}: ${p}`));
  // The parent: its own manifest, checked the same way, and it must be the one this names.
  const parent = st.predicate.parent;
  if (parent) {
    const p = await verifyLink(resolveName(base, parent.name), publicKey, chain);
    if (p.digest !== parent.sha256)
      throw new VerificationError([
        `${st.name}: the parent ${parent.name} is not the version this was derived from (digest ${p.digest.slice(0, 16)}…, signed ${String(parent.sha256).slice(0, 16)}…)`,
      ]);
  }
  return st;
}
