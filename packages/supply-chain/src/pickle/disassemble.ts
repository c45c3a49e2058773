/**
 * A pickle disassembler that never runs anything: it steps through the opcodes (protocols 0-5),
 * simulating the stack and the memo just enough to know which globals the pickle imports and
 * whether it calls them, including `STACK_GLOBAL`, whose module and name come from the stack
 * (an attacker can route them through the memo; the simulation follows). Every step is bounded:
 * opcodes, stack, memo, string lengths. A pickle that cannot be followed is a finding, not a pass.
 */
import { type Finding, quote } from '../findings.js';
import { classifyGlobal, type GlobalClass } from './globals.js';

export interface PickleGlobal {
  readonly module: string;
  readonly name: string;
  readonly class: GlobalClass;
  readonly offset: number;
  readonly opcode: string;
}

export interface PickleReport {
  readonly globals: PickleGlobal[];
  /** Opcodes that call something while loading (REDUCE, NEWOBJ, BUILD, INST, OBJ, …). */
  readonly calls: number;
  readonly opcodes: number;
  readonly findings: Finding[];
  /** Bytes the pickle used (up to STOP). */
  readonly length: number;
}

const MAX_OPCODES = 50_000_000;
const MAX_STACK = 1_000_000;
const MAX_MEMO = 1_000_000;
const MAX_STR = 512;

type Value = { s: string } | null; // a string, or anything else

class Truncated extends Error {}

/** Disassembles the pickle at the start of `buf`. */
export function disassemblePickle(buf: Uint8Array, where = ''): PickleReport {
  const globals: PickleGlobal[] = [];
  const findings: Finding[] = [];
  const stack: Value[] = [];
  const marks: number[] = [];
  const memo = new Map<number, Value>();
  let calls = 0;
  let p = 0;
  let n = 0;
  const need = (k: number) => {
    if (p + k > buf.length) throw new Truncated();
  };
  const u8 = () => {
    need(1);
    return buf[p++] as number;
  };
  const le = (k: number): number => {
    need(k);
    let v = 0;
    for (let i = k - 1; i >= 0; i--) v = v * 256 + (buf[p + i] as number);
    p += k;
    return v;
  };
  const line = (): string => {
    const end = buf.indexOf(10, p);
    if (end === -1) throw new Truncated();
    const s = latin1(buf, p, end);
    p = end + 1;
    return s;
  };
  const bytes = (len: number): string => {
    if (!Number.isSafeInteger(len)) throw new Truncated();
    need(len);
    const s = latin1(buf, p, p + Math.min(len, MAX_STR));
    p += len;
    return s;
  };
  const utf8 = (len: number): string => {
    if (!Number.isSafeInteger(len)) throw new Truncated();
    need(len);
    const s = new TextDecoder().decode(buf.subarray(p, p + Math.min(len, MAX_STR)));
    p += len;
    return s;
  };
  const push = (v: Value) => {
    if (stack.length >= MAX_STACK) throw new Error('stack');
    stack.push(v);
  };
  const pop = (): Value => (stack.length > 0 ? (stack.pop() as Value) : null);
  const popMark = () => {
    const m = marks.pop() ?? 0;
    stack.length = Math.min(stack.length, m);
  };
  const put = (i: number) => {
    if (memo.size >= MAX_MEMO && !memo.has(i)) throw new Error('memo');
    memo.set(i, stack.length > 0 ? (stack[stack.length - 1] as Value) : null);
  };
  const importing = (module: string, name: string, opcode: string, at: number) => {
    const c = classifyGlobal(module, name);
    globals.push({ module, name, class: c.class, offset: at, opcode });
  };

  try {
    for (;;) {
      if (++n > MAX_OPCODES) {
        findings.push({ rule: 'pickle/limits', severity: 'high', message: `more than ${MAX_OPCODES} opcodes`, where });
        break;
      }
      const at = p;
      const op = u8();
      switch (op) {
        case 0x2e: // STOP
          return { globals, calls, opcodes: n, findings, length: p };
        case 0x28: // MARK
          marks.push(stack.length);
          break;
        case 0x30: // POP
          pop();
          break;
        case 0x31: // POP_MARK
          popMark();
          break;
        case 0x32: // DUP
          push(stack.length > 0 ? (stack[stack.length - 1] as Value) : null);
          break;
        case 0x46: // FLOAT
        case 0x49: // INT
        case 0x4c: // LONG
          line();
          push(null);
          break;
        case 0x4a: // BININT
          le(4);
          push(null);
          break;
        case 0x4b: // BININT1
          le(1);
          push(null);
          break;
        case 0x4d: // BININT2
          le(2);
          push(null);
          break;
        case 0x47: // BINFLOAT
          le(8);
          push(null);
          break;
        case 0x4e: // NONE
        case 0x88: // NEWTRUE
        case 0x89: // NEWFALSE
        case 0x7d: // EMPTY_DICT
        case 0x5d: // EMPTY_LIST
        case 0x29: // EMPTY_TUPLE
        case 0x8f: // EMPTY_SET
        case 0x97: // NEXT_BUFFER
          push(null);
          break;
        case 0x8a: // LONG1
          bytes(le(1));
          push(null);
          break;
        case 0x8b: // LONG4
          bytes(le(4));
          push(null);
          break;
        case 0x50: // PERSID
          line();
          push(null);
          break;
        case 0x51: // BINPERSID
          pop();
          push(null);
          break;
        case 0x53: // STRING
        case 0x56: // UNICODE
          push({ s: stripQuotes(line()) });
          break;
        case 0x54: // BINSTRING
          push({ s: bytes(le(4)) });
          break;
        case 0x55: // SHORT_BINSTRING
          push({ s: bytes(le(1)) });
          break;
        case 0x58: // BINUNICODE
          push({ s: utf8(le(4)) });
          break;
        case 0x8c: // SHORT_BINUNICODE
          push({ s: utf8(le(1)) });
          break;
        case 0x8d: // BINUNICODE8
          push({ s: utf8(le(8)) });
          break;
        case 0x42: // BINBYTES
          bytes(le(4));
          push(null);
          break;
        case 0x43: // SHORT_BINBYTES
          bytes(le(1));
          push(null);
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          bytes(le(8));
          push(null);
          break;
        case 0x98: // READONLY_BUFFER
          break;
        case 0x61: // APPEND
        case 0x62: // BUILD
          if (op === 0x62) calls++;
          pop();
          break;
        case 0x73: // SETITEM
          pop();
          pop();
          break;
        case 0x65: // APPENDS
        case 0x75: // SETITEMS
        case 0x90: // ADDITEMS
          popMark();
          break;
        case 0x74: // TUPLE
        case 0x6c: // LIST
        case 0x64: // DICT
        case 0x91: // FROZENSET
          popMark();
          push(null);
          break;
        case 0x85: // TUPLE1
          pop();
          push(null);
          break;
        case 0x86: // TUPLE2
          pop();
          pop();
          push(null);
          break;
        case 0x87: // TUPLE3
          pop();
          pop();
          pop();
          push(null);
          break;
        case 0x52: // REDUCE
        case 0x81: // NEWOBJ
          calls++;
          pop();
          pop();
          push(null);
          break;
        case 0x92: // NEWOBJ_EX
          calls++;
          pop();
          pop();
          pop();
          push(null);
          break;
        case 0x6f: // OBJ
          calls++;
          popMark();
          push(null);
          break;
        case 0x63: {
          // GLOBAL
          const module = line();
          const name = line();
          importing(module, name, 'GLOBAL', at);
          push(null);
          break;
        }
        case 0x69: {
          // INST
          const module = line();
          const name = line();
          importing(module, name, 'INST', at);
          calls++;
          popMark();
          push(null);
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = pop();
          const module = pop();
          if (name === null || module === null) {
            findings.push({
              rule: 'pickle/dynamic-global',
              severity: 'high',
              message: 'STACK_GLOBAL with a module or name that is not a plain string: cannot tell what it imports',
              where: `${where}@${at}`,
            });
          } else importing(module.s, name.s, 'STACK_GLOBAL', at);
          push(null);
          break;
        }
        case 0x82: // EXT1
        case 0x83: // EXT2
        case 0x84: {
          // EXT4
          le(op === 0x82 ? 1 : op === 0x83 ? 2 : 4);
          findings.push({
            rule: 'pickle/extension',
            severity: 'high',
            message: 'imports through the copyreg extension registry: cannot tell what',
            where: `${where}@${at}`,
          });
          push(null);
          break;
        }
        case 0x70: // PUT
          put(Number(line()));
          break;
        case 0x71: // BINPUT
          put(le(1));
          break;
        case 0x72: // LONG_BINPUT
          put(le(4));
          break;
        case 0x94: // MEMOIZE
          put(memo.size);
          break;
        case 0x67: // GET
          push(memo.get(Number(line())) ?? null);
          break;
        case 0x68: // BINGET
          push(memo.get(le(1)) ?? null);
          break;
        case 0x6a: // LONG_BINGET
          push(memo.get(le(4)) ?? null);
          break;
        case 0x80: // PROTO
          le(1);
          break;
        case 0x95: // FRAME
          le(8);
          break;
        default:
          findings.push({
            rule: 'pickle/invalid',
            severity: 'high',
            message: `unknown opcode 0x${op.toString(16)}: not a pickle, or a crafted one`,
            where: `${where}@${at}`,
          });
          return { globals, calls, opcodes: n, findings, length: p };
      }
    }
  } catch (err) {
    const message = err instanceof Truncated ? 'ends before STOP (truncated)' : `exceeds a bound (${(err as Error).message})`;
    findings.push({ rule: 'pickle/invalid', severity: 'high', message, where: `${where}@${p}` });
  }
  return { globals, calls, opcodes: n, findings, length: p };
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < Math.min(end, start + MAX_STR); i++) s += String.fromCharCode(buf[i] as number);
  return s;
}

function stripQuotes(s: string): string {
  return s.length >= 2 && (s[0] === "'" || s[0] === '"') && s[s.length - 1] === s[0] ? s.slice(1, -1) : s;
}

/** The findings of a disassembly, one per imported global (severity by its class). */
export function pickleFindings(report: PickleReport, where = ''): Finding[] {
  const out = [...report.findings];
  for (const g of report.globals) {
    const c = classifyGlobal(g.module, g.name);
    if (c.class === 'known-safe') continue;
    const rule = `pickle/${c.class}`;
    const what = c.class === 'unknown' ? 'imports' : `imports ${c.class.replace('-', ' ')}:`;
    out.push({
      rule,
      severity: c.severity,
      message: `${what} ${quote(`${g.module}.${g.name}`)} (${g.opcode}); loading the file runs it. Prefer safetensors or ONNX`,
      where: `${where}@${g.offset}`,
    });
  }
  return out;
}
