/**
 * `scanFile` / `scanPath`: what a model folder or registry checkout holds, checked without
 * loading anything. ONNX files are walked (external data checked against their folder), safetensors
 * headers checked, and pickle-family files (.pkl .pickle .pt .pth .bin .joblib .ckpt, zip-wrapped
 * PyTorch checkpoints, gzip/zlib-compressed joblib) disassembled, never unpickled. Other files are
 * recognised by their first bytes when they hide a zip or a pickle behind another extension.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { gunzipSync, inflateSync } from 'node:zlib';
import { type Finding, quote } from '../findings.js';
import { readExternalData, readOnce } from '../onnx/external.js';
import { walkOnnx } from '../onnx/walk.js';
import { disassemblePickle, pickleFindings } from '../pickle/disassemble.js';
import { checkSafetensors } from '../safetensors/check.js';
import { isZip, zipEntries, zipEntryData } from '../zip/read.js';

export type FileKind = 'onnx' | 'safetensors' | 'pickle' | 'zip' | 'other';

export interface ScannedFile {
  readonly path: string;
  readonly kind: FileKind;
  readonly bytes: number;
  readonly findings: Finding[];
}

export interface ScanReport {
  readonly root: string;
  readonly files: ScannedFile[];
  readonly findings: Finding[];
}

export interface ScanOptions {
  /** Largest file read (default 4 GiB). */
  readonly maxFileBytes?: number;
  /** Most files in a folder walk (default 100,000). */
  readonly maxFiles?: number;
}

const PICKLE_EXT = new Set(['.pkl', '.pickle', '.pt', '.pth', '.bin', '.joblib', '.ckpt']);
const MAX_PICKLE = 512 * 1024 * 1024;

/** Scans one file's bytes (`name` decides how, with the magic bytes). */
export function scanBytes(bytes: Uint8Array, name: string, dir?: string): { kind: FileKind; findings: Finding[] } {
  const ext = extname(name).toLowerCase();
  if (ext === '.onnx') {
    const walk = walkOnnx(bytes, { allowExternalData: true });
    const findings = walk.findings.filter((f) => f.severity !== 'info');
    if (walk.externalData.length > 0 && dir !== undefined) {
      findings.push({
        rule: 'onnx/external-data',
        severity: 'medium',
        message: `${walk.externalData.length} tensors keep their data in other files (bulwark loads them only with external data allowed)`,
        where: '',
      });
      findings.push(...readExternalData(walk.externalData, dir).findings);
    }
    return { kind: 'onnx', findings };
  }
  if (ext === '.safetensors') return { kind: 'safetensors', findings: checkSafetensors(bytes) };
  if (isZip(bytes)) return { kind: 'zip', findings: scanZip(bytes) };
  if (PICKLE_EXT.has(ext) || bytes[0] === 0x80) return { kind: 'pickle', findings: scanPickle(bytes, PICKLE_EXT.has(ext)) };
  return { kind: 'other', findings: [] };
}

function scanPickle(bytes: Uint8Array, byExtension: boolean): Finding[] {
  let data = bytes;
  const compressed = compression(bytes);
  if (compressed === 'gzip' || compressed === 'zlib') {
    try {
      data = compressed === 'gzip' ? gunzipSync(bytes, { maxOutputLength: MAX_PICKLE }) : inflateSync(bytes, { maxOutputLength: MAX_PICKLE });
    } catch {
      return [{ rule: 'pickle/invalid', severity: 'high', message: `${compressed} data that does not decompress (or is larger than ${MAX_PICKLE} bytes)` }];
    }
  } else if (compressed !== undefined) {
    return [{ rule: 'pickle/unscanned', severity: 'high', message: `compressed with ${compressed}, which this scanner cannot open: treat it as unsafe` }];
  }
  const report = disassemblePickle(data);
  const findings = pickleFindings(report);
  if (byExtension)
    findings.push({ rule: 'pickle/format', severity: 'low', message: 'a pickle-family file: loading any pickle can run code; prefer safetensors or ONNX' });
  return findings;
}

function compression(b: Uint8Array): string | undefined {
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b[0] === 0x78 && (b[1] === 0x01 || b[1] === 0x5e || b[1] === 0x9c || b[1] === 0xda)) return 'zlib';
  if (b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return 'bzip2';
  if (b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58) return 'xz';
  if (b[0] === 0x5d && b[1] === 0x00 && b[2] === 0x00) return 'lzma';
  return undefined;
}

function scanZip(bytes: Uint8Array): Finding[] {
  const findings: Finding[] = [];
  let entries: ReturnType<typeof zipEntries>;
  try {
    entries = zipEntries(bytes);
  } catch (err) {
    return [{ rule: 'zip/invalid', severity: 'high', message: `a zip that cannot be read: ${(err as Error).message}` }];
  }
  let pickles = 0;
  for (const e of entries) {
    if (!(e.name.endsWith('.pkl') || e.name.endsWith('/data.pkl'))) continue;
    pickles++;
    try {
      const data = zipEntryData(bytes, e, MAX_PICKLE);
      findings.push(...pickleFindings(disassemblePickle(data), e.name));
    } catch (err) {
      findings.push({ rule: 'zip/invalid', severity: 'high', message: `${quote(e.name)}: ${(err as Error).message}`, where: e.name });
    }
  }
  if (pickles > 0)
    findings.push({ rule: 'pickle/format', severity: 'low', message: `a zip-wrapped PyTorch checkpoint (${pickles} pickles): prefer safetensors or ONNX` });
  return findings;
}

/** Scans a file. */
export function scanFile(path: string, options: ScanOptions = {}): ScannedFile {
  const read = readOnce(path, options.maxFileBytes ?? 4 * 1024 ** 3);
  if ('problem' in read) {
    return { path, kind: 'other', bytes: 0, findings: [{ rule: 'scan/unreadable', severity: 'medium', message: `not scanned: ${read.problem}`, file: path }] };
  }
  const { kind, findings } = scanBytes(read.bytes, basename(path), dirname(path));
  return { path, kind, bytes: read.bytes.length, findings: findings.map((f) => ({ ...f, file: path })) };
}

/** Scans a file, or every file under a folder (symlinks reported, never followed); paths are `root` joined with each file's. */
export function scanPath(root: string, options: ScanOptions = {}): ScanReport {
  const files: ScannedFile[] = [];
  const findings: Finding[] = [];
  const maxFiles = options.maxFiles ?? 100_000;
  const visit = (path: string) => {
    if (files.length >= maxFiles) return;
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(path);
    } catch {
      findings.push({ rule: 'scan/unreadable', severity: 'medium', message: 'cannot be read', file: path });
      return;
    }
    // Paths as the caller named them (relative stays relative), so reports point at real files.
    const shown = path;
    if (st.isSymbolicLink()) {
      findings.push({
        rule: 'scan/symlink',
        severity: 'medium',
        message: 'a symbolic link: not followed (a model folder should hold its own files)',
        file: shown,
      });
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (name === '.git') continue;
        visit(join(path, name));
      }
      return;
    }
    if (!st.isFile()) return;
    const f = scanFile(path, options);
    files.push({ ...f, path: shown, findings: f.findings.map((x) => ({ ...x, file: shown })) });
  };
  visit(root);
  if (files.length >= maxFiles) findings.push({ rule: 'scan/limits', severity: 'medium', message: `stopped after ${maxFiles} files` });
  return { root, files, findings: [...findings, ...files.flatMap((f) => f.findings)] };
}
