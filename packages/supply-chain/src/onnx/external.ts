/**
 * External data files of an ONNX model, checked on disk and read once. A location the walker
 * accepted (relative, no `..` escape) must also, once resolved: stay inside the model's folder
 * after following the real path, be a regular file, not a symlink, have one link (a hard link could
 * point at any file of the same volume), and hold the bytes each tensor names. The bytes read here
 * are what onnxruntime gets (`externalData` from memory): nothing is opened again by path.
 */
import { closeSync, fstatSync, lstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { type Finding, quote } from '../findings.js';
import type { ExternalDataRef } from './walk.js';

export interface ExternalFile {
  /** The location as the model names it (onnxruntime matches on it). */
  readonly location: string;
  readonly bytes: Uint8Array;
}

/** Largest external data file read (default 8 GiB: the bytes are held in memory once). */
export const MAX_EXTERNAL_BYTES = 8 * 1024 ** 3;

/** Checks and reads the files `refs` name, relative to `modelDir`; problems are findings, nothing throws. */
export function readExternalData(
  refs: readonly ExternalDataRef[],
  modelDir: string,
  maxBytes = MAX_EXTERNAL_BYTES,
): { files: ExternalFile[]; findings: Finding[] } {
  const findings: Finding[] = [];
  const files = new Map<string, Uint8Array>();
  let root: string;
  try {
    root = realpathSync(modelDir);
  } catch {
    return {
      files: [],
      findings: [{ rule: 'onnx/external-data', severity: 'high', message: `model folder ${quote(modelDir)} cannot be resolved`, where: '' }],
    };
  }
  const bad = (ref: ExternalDataRef, rule: string, message: string) =>
    findings.push({
      rule,
      severity: rule === 'onnx/external-data-traversal' ? 'critical' : 'high',
      message: `external data ${quote(ref.location)} ${message}`,
      where: ref.where,
    });
  for (const ref of refs) {
    let bytes = files.get(ref.location);
    if (bytes === undefined) {
      const path = resolve(root, ref.location);
      if (!inside(root, path)) {
        bad(ref, 'onnx/external-data-traversal', 'resolves outside the model folder');
        continue;
      }
      let link: ReturnType<typeof lstatSync>;
      try {
        link = lstatSync(path);
      } catch {
        bad(ref, 'onnx/external-data', 'does not exist');
        continue;
      }
      if (link.isSymbolicLink()) {
        bad(ref, 'onnx/external-data-traversal', 'is a symbolic link');
        continue;
      }
      let real: string;
      try {
        real = realpathSync(path);
      } catch {
        bad(ref, 'onnx/external-data', 'cannot be resolved');
        continue;
      }
      if (!inside(root, real)) {
        bad(ref, 'onnx/external-data-traversal', 'resolves outside the model folder (through a linked folder)');
        continue;
      }
      const read = readOnce(real, maxBytes);
      if ('problem' in read) {
        bad(ref, read.rule, read.problem);
        continue;
      }
      bytes = read.bytes;
      files.set(ref.location, bytes);
    }
    const end = ref.length === undefined ? bytes.length : ref.offset + ref.length;
    if (ref.offset > bytes.length || end > bytes.length)
      bad(ref, 'onnx/external-data-bounds', `names bytes ${ref.offset}-${end} of a ${bytes.length}-byte file`);
  }
  return { files: [...files].map(([location, b]) => ({ location, bytes: b })), findings };
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * Reads a file through one descriptor: the checks (regular file, one link, size) are made on the
 * opened file itself (fstat), so the file cannot be swapped between the check and the read.
 */
export function readOnce(path: string, maxBytes: number): { bytes: Uint8Array } | { problem: string; rule: string } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { problem: 'cannot be opened', rule: 'onnx/external-data' };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { problem: 'is not a regular file', rule: 'onnx/external-data-traversal' };
    if (st.nlink > 1) return { problem: `has ${st.nlink} hard links`, rule: 'onnx/external-data-traversal' };
    if (st.size > maxBytes) return { problem: `is ${st.size} bytes, more than ${maxBytes}`, rule: 'onnx/limits' };
    const bytes = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, bytes, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off !== st.size) return { problem: 'changed size while being read', rule: 'onnx/external-data' };
    return { bytes };
  } finally {
    closeSync(fd);
  }
}
