/**
 * The manifest of a model: every file of a model folder (or the one file of a single-file model)
 * with its sha256, in the OpenSSF model-signing v1.0 "files" serialization: names are POSIX paths
 * relative to the model, sorted; symbolic links are refused; the signature itself and git metadata
 * are left out (recorded in `ignore_paths`, so a verifier recomputes the same set).
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';

export interface Resource {
  readonly name: string;
  readonly algorithm: 'sha256';
  readonly digest: string;
}

export interface Serialization {
  readonly method: 'files';
  readonly hash_type: 'sha256';
  readonly allow_symlinks: false;
  readonly ignore_paths: readonly string[];
}

export interface Manifest {
  /** The model's name (its folder's or file's base name). */
  readonly name: string;
  readonly serialization: Serialization;
  readonly resources: readonly Resource[];
}

export const DEFAULT_IGNORED = Object.freeze(['model.sig', '.git', '.gitattributes', '.github', '.gitignore']);

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

/** sha256 of a file, read through one descriptor in 1 MiB chunks (regular files only). */
export function sha256File(path: string): string {
  const fd = openSync(path, 'r');
  try {
    if (!fstatSync(fd).isFile()) throw new ManifestError(`${path} is not a regular file`);
    const h = createHash('sha256');
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    let pos = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) break;
      h.update(chunk.subarray(0, n));
      pos += n;
    }
    return h.digest('hex');
  } finally {
    closeSync(fd);
  }
}

/** The files of a model: a folder's regular files (sorted POSIX paths), or one file. */
export function listModelFiles(modelPath: string, ignore: readonly string[] = DEFAULT_IGNORED): { root: string; names: string[]; single: boolean } {
  const st = lstatSync(modelPath);
  if (st.isSymbolicLink()) throw new ManifestError(`${modelPath} is a symbolic link`);
  if (st.isFile()) return { root: modelPath, names: [basename(modelPath)], single: true };
  if (!st.isDirectory()) throw new ManifestError(`${modelPath} is neither a file nor a folder`);
  const names: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      const rel = relative(modelPath, path).split(sep).join('/');
      if (ignore.some((i) => rel === i || rel.startsWith(`${i}/`))) continue;
      const s = lstatSync(path);
      if (s.isSymbolicLink()) throw new ManifestError(`${rel} is a symbolic link (not allowed in a signed model)`);
      if (s.isDirectory()) walk(path);
      else if (s.isFile()) names.push(rel);
      else throw new ManifestError(`${rel} is not a regular file`);
    }
  };
  walk(modelPath);
  return { root: modelPath, names: names.sort(), single: false };
}

/**
 * Computes the manifest of a model file or folder. `known` gives digests already computed for
 * some names (a loader that holds a file's bytes hashes them once, and what it hashed is what it
 * will run), so those files are not read again.
 */
export function computeManifest(modelPath: string, ignore: readonly string[] = DEFAULT_IGNORED, known?: ReadonlyMap<string, string>): Manifest {
  const { names, single } = listModelFiles(modelPath, ignore);
  const resources = names.map(
    (name): Resource => ({ name, algorithm: 'sha256', digest: known?.get(name) ?? sha256File(single ? modelPath : join(modelPath, name)) }),
  );
  return {
    name: single ? basename(modelPath).replace(/\.[^.]+$/, '') : basename(modelPath),
    serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: false, ignore_paths: [...ignore] },
    resources,
  };
}

/** The subject digest of OpenSSF model signing: sha256 over the resources' raw digests, in order. */
export function rootDigest(resources: readonly Resource[]): string {
  const h = createHash('sha256');
  for (const r of resources) h.update(Buffer.from(r.digest, 'hex'));
  return h.digest('hex');
}
