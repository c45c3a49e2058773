/**
 * How dangerous an imported global is. A pickle imports a callable by module and name and may
 * call it while loading (REDUCE, NEWOBJ, BUILD, INST, OBJ): importing alone runs the module's code.
 * Deny-lists of "bad" modules keep being bypassed (ModelScan's history), so this is an
 * allow-list with severities: a short list of the types ML checkpoints are made of is `info`,
 * known-dangerous modules are `critical` or `high`, and everything else is `medium` (unknown
 * code runs). Recommending safetensors or ONNX is the real fix.
 */
import type { Severity } from '../findings.js';

export type GlobalClass = 'code-execution' | 'network' | 'filesystem' | 'unknown' | 'known-safe';

const EXEC = [
  /^(os|posix|nt)\.(system|popen|exec\w*|spawn\w*|fork\w*|startfile|putenv|kill\w*)$/,
  /^(subprocess|runpy|pty|commands|code|codeop|ctypes|cffi|importlib|imp|pickle|_pickle|cPickle|marshal|shelve|dill|cloudpickle|joblib\.numpy_pickle)\./,
  /^(builtins|__builtin__)\.(eval|exec|execfile|compile|__import__|getattr|setattr|delattr|globals|locals|vars|input|breakpoint|help|memoryview)$/,
  /^(operator)\.(attrgetter|methodcaller|itemgetter)$/,
  /^(types)\.(FunctionType|CodeType|LambdaType|MethodType)$/,
  /^(numpy|numpy\.lib\.npyio)\.(load|loads)$/,
  /^(torch)\.(load|jit\.load|hub\.load)$/,
  /^(webbrowser|sys)\./,
  /^(functools)\.(partial|reduce)$/,
];
const NETWORK = [/^(socket|ssl|urllib|urllib2|urllib3|http|httplib|requests|ftplib|smtplib|telnetlib|poplib|imaplib|xmlrpc|asyncio|aiohttp|paramiko)(\.|$)/];
const FILES = [
  /^(shutil|tempfile|glob|pathlib|fileinput|zipfile|tarfile)\./,
  /^(os)\.(remove|unlink|rmdir|removedirs|rename|renames|replace|makedirs|mkdir|chmod|chown|symlink|link|truncate|open|write|listdir|walk|scandir)$/,
  /^(builtins|__builtin__|io|codecs)\.(open|file|FileIO)$/,
];
/** The types ML checkpoints are made of (PyTorch, NumPy, collections). */
const SAFE = [
  /^collections\.(OrderedDict|defaultdict|Counter|deque)$/,
  /^torch\._utils\._rebuild_(tensor|tensor_v2|parameter|parameter_with_state|qtensor|sparse_tensor|nested_tensor|device_tensor_from_cpu_tensor|wrapper_subclass)$/,
  /^torch\.(\w+Storage|Size|device|dtype|float\d*|int\d*|uint8|bool|bfloat16|half|double|long|layout|strided|sparse_coo|memory_format|contiguous_format|channels_last)$/,
  /^torch\.serialization\._get_layout$/,
  /^numpy\.(core|_core)\.multiarray\.(_reconstruct|scalar)$/,
  /^numpy\.(ndarray|dtype|float\d*|int\d*|uint\d*|bool_|complex\d*)$/,
  /^(builtins|__builtin__)\.(set|frozenset|slice|complex|bytearray|bytes|int|float|str|list|dict|tuple|object|range)$/,
  /^_codecs\.encode$/,
  /^(copy_reg|copyreg)\._reconstructor$/,
];

export function classifyGlobal(module: string, name: string): { class: GlobalClass; severity: Severity } {
  const g = `${module}.${name}`;
  if (EXEC.some((r) => r.test(g))) return { class: 'code-execution', severity: 'critical' };
  if (NETWORK.some((r) => r.test(g))) return { class: 'network', severity: 'high' };
  if (FILES.some((r) => r.test(g))) return { class: 'filesystem', severity: 'high' };
  if (SAFE.some((r) => r.test(g))) return { class: 'known-safe', severity: 'info' };
  return { class: 'unknown', severity: 'medium' };
}
