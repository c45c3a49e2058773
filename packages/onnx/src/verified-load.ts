/**
 * Verified loading: every model Bulwark hands to onnxruntime is checked first, on the bytes that
 * will run. The file is opened once (a symlinked or hard-linked model file is refused unless
 * allowed; the size is bounded), its bytes are hashed and checked against a pinned sha256 and/or
 * an OpenSSF signature, the ONNX graph is walked (external data refused by default, operator
 * domains allow-listed, limits), and external data, when allowed, is read from inside the model's
 * folder and passed to onnxruntime from memory. Nothing is re-read by path: what was checked is
 * what runs. Optionally, the first load happens in a short-lived child process, so a native crash
 * on a malformed model cannot take the server down.
 */
import { spawn } from 'node:child_process';
import { createHash, type KeyObject } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BulwarkError } from '@bulwark/core';
import {
  atLeast,
  type ExternalFile,
  type Finding,
  type Manifest,
  type OnnxLimits,
  openBundle,
  publicKeyFrom,
  readExternalData,
  readOnce,
  VerificationError,
  verifyModel,
  walkOnnx,
} from '@bulwark/supply-chain';

export interface VerifyOptions {
  /** Refuse to load unless the model file's sha256 (hex) is this. */
  readonly expectedSha256?: string | undefined;
  /**
   * Refuse to load unless the model is signed by this key (PEM or KeyObject), OpenSSF model-signing
   * format. The signature is `<model>.sig` for a single file, else `model.sig` in its folder (which
   * then covers every file of the folder), unless `signaturePath` says otherwise.
   */
  readonly verifyWith?: string | Buffer | KeyObject | undefined;
  readonly signaturePath?: string | undefined;
  /** Allow a model file that is a symbolic link (default false). */
  readonly allowSymlinks?: boolean | undefined;
  /** Allow a model file with several hard links (default false). */
  readonly allowHardLinks?: boolean | undefined;
  /** Largest model file, bytes (default 2 GiB). */
  readonly maxBytes?: number | undefined;
  /** Allow tensors whose data is in other files of the model's folder (default false). */
  readonly allowExternalData?: boolean | undefined;
  /** Allowed operator domains and opset ranges (default: ai.onnx 1-23, ai.onnx.ml 1-5). */
  readonly domains?: Readonly<Record<string, readonly [number, number]>> | undefined;
  readonly limits?: Partial<OnnxLimits> | undefined;
  /** Load the model once in a child process first (default false): a native crash stays there. */
  readonly canary?: boolean | undefined;
}

export interface VerifiedModel {
  readonly bytes: Uint8Array;
  readonly digest: string;
  readonly externalData: ExternalFile[];
  /** Findings below the refusal threshold (e.g. info about allowed external data). */
  readonly findings: Finding[];
  /** The signed manifest, when the model was verified against a signature. */
  readonly manifest: Manifest | undefined;
}

const rejected = (message: string, cause?: unknown) => new BulwarkError('model_rejected', message, cause === undefined ? {} : { cause });

function describe(findings: readonly Finding[]): string {
  return findings
    .slice(0, 5)
    .map((f) => `${f.rule}: ${f.message}${f.where ? ` at ${f.where}` : ''}`)
    .join('; ');
}

/** Reads and checks a model file (or bytes); throws `model_rejected` naming every problem. */
export function verifyModelSource(source: string | Uint8Array, options: VerifyOptions = {}): VerifiedModel {
  let bytes: Uint8Array;
  let realPath: string | undefined;
  if (typeof source === 'string') {
    let link: ReturnType<typeof lstatSync>;
    try {
      link = lstatSync(source);
    } catch (err) {
      throw new BulwarkError('model_unavailable', `cannot read model file ${basename(source)}`, { cause: err });
    }
    if (link.isSymbolicLink() && !options.allowSymlinks) throw rejected(`${basename(source)} is a symbolic link (allowSymlinks to permit it)`);
    realPath = realpathSync(source);
    const read = readOnce(realPath, options.maxBytes ?? 2 * 1024 ** 3);
    if ('problem' in read) {
      if (/hard links/.test(read.problem) && options.allowHardLinks) bytes = readFileSync(realPath);
      else throw rejected(`${basename(source)} ${read.problem}`);
    } else bytes = read.bytes;
  } else bytes = source;
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (options.expectedSha256 !== undefined && options.expectedSha256.toLowerCase() !== digest) {
    throw rejected(`model digest mismatch: expected sha256 ${options.expectedSha256}, file has ${digest}`);
  }
  const manifest = options.verifyWith === undefined ? undefined : checkSignature(realPath, digest, options);
  const walk = walkOnnx(bytes, { allowExternalData: options.allowExternalData, domains: options.domains, limits: options.limits });
  const blocking = walk.findings.filter((f) => atLeast(f.severity, 'high'));
  if (blocking.length > 0) throw rejected(`the model was refused before loading: ${describe(blocking)}`);
  let externalData: ExternalFile[] = [];
  if (walk.externalData.length > 0) {
    if (realPath === undefined) throw rejected('external data needs the model loaded from a file (its folder holds the data)');
    const ext = readExternalData(walk.externalData, dirname(realPath));
    if (ext.findings.length > 0) throw rejected(`the model's external data was refused: ${describe(ext.findings)}`);
    externalData = ext.files;
    if (manifest !== undefined) {
      // Every external file must be a signed resource, and its bytes (as read) the signed ones.
      for (const f of externalData) {
        const name = nameInFolder(realPath, join(dirname(realPath), f.location));
        const want = manifest.resources.find((r) => r.name === name)?.digest;
        const got = createHash('sha256').update(f.bytes).digest('hex');
        if (want === undefined) throw rejected(`external data ${f.location} is not in the signed manifest`);
        if (want !== got) throw rejected(`external data ${f.location} does not match its signed digest`);
      }
    }
  }
  return { bytes, digest, externalData, findings: walk.findings, manifest };
}

function signaturePathFor(realPath: string, options: VerifyOptions): string {
  if (options.signaturePath !== undefined) return options.signaturePath;
  return existsSync(`${realPath}.sig`) ? `${realPath}.sig` : join(dirname(realPath), 'model.sig');
}

/** A file's name in a folder manifest: its POSIX path relative to the model's folder. */
const nameInFolder = (modelPath: string, file: string) => relative(dirname(modelPath), file).split(sep).join('/');

/**
 * Checks the model against its signature. The signed manifest (authenticated before anything in
 * it is used) says what was signed: the model file alone (`bulwark sign model.onnx`: one resource,
 * named after the file) or the model's folder, in which case every file of the folder is checked:
 * a missing, extra or changed sibling fails too.
 */
function checkSignature(realPath: string | undefined, digest: string, options: VerifyOptions): Manifest {
  if (realPath === undefined) throw rejected('signature verification needs the model loaded from a file');
  let key: KeyObject;
  try {
    key =
      typeof options.verifyWith === 'object' && 'asymmetricKeyType' in (options.verifyWith as object)
        ? (options.verifyWith as KeyObject)
        : publicKeyFrom(options.verifyWith as string | Buffer);
  } catch (err) {
    throw rejected(`the verification key cannot be used: ${(err as Error).message}`, err);
  }
  const sigPath = signaturePathFor(realPath, options);
  if (!existsSync(sigPath)) throw rejected(`the model is not signed (no ${basename(sigPath)})`);
  const file = basename(realPath);
  let manifest: Manifest;
  try {
    manifest = openBundle(readFileSync(sigPath, 'utf8'), key);
    const single = manifest.resources.length === 1 && manifest.resources[0]?.name === file && manifest.name === file.replace(/\.[^.]+$/, '');
    // A folder signature: the model file's digest is the one of the bytes held (about to run),
    // so it is not read again; every other file is.
    if (!single) manifest = verifyModel(dirname(realPath), key, sigPath, { knownDigests: new Map([[file, digest]]) });
  } catch (err) {
    if (err instanceof VerificationError) throw rejected(err.problems.join('; '), err);
    throw err;
  }
  const want = manifest.resources.find((r) => r.name === file)?.digest;
  if (want === undefined) throw rejected(`${file} is not in the signed manifest`);
  if (want !== digest) throw rejected(`${file} does not match its signed digest`);
  return manifest;
}

/** Loads the model in a child process and runs one inference: resolves if it survives. */
export function canaryLoad(model: VerifiedModel, timeoutMs = 60_000): Promise<void> {
  const here = fileURLToPath(import.meta.url);
  const ts = here.endsWith('.ts');
  const script = join(dirname(here), `canary.${ts ? 'ts' : 'js'}`);
  const child = spawn(process.execPath, [...(ts ? ['--import', 'tsx'] : []), script], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(rejected(`the model did not load within ${timeoutMs} ms in the canary process`));
    }, timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stdin.on('error', () => {}); // a crashed child closes its stdin
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && out.includes('"ok":true')) resolve();
      else reject(rejected(`the model crashed or failed onnxruntime in the canary process (${signal ?? `exit ${code}`})`));
    });
    const header = Buffer.from(`${JSON.stringify({ externalData: model.externalData.map((f) => ({ path: f.location, length: f.bytes.length })) })}\n`);
    child.stdin.write(header);
    for (const f of model.externalData) child.stdin.write(f.bytes);
    child.stdin.end(model.bytes);
  });
}
