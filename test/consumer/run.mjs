#!/usr/bin/env node
/**
 * The consumer test: Bulwark as a user outside this repository gets it. Builds every public
 * package, packs it (pnpm pack: the tarball npm would publish), installs the tarballs with npm into
 * a fresh project in a temporary folder outside the workspace, and there, with plain Node (no tsx):
 * imports each package, runs a minimal Express app and a minimal Hono app with a guarded model and
 * checks an answer, type-checks a TypeScript consumer with skipLibCheck: false, runs the packed
 * `bulwark serve` and `bulwark attack --help`. Then `pnpm -r publish --dry-run`.
 *
 *   node test/consumer/run.mjs            (.ci/run runs it)
 *   node test/consumer/run.mjs --record   also writes the transcript to docs/install.md
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixture/', import.meta.url));
const record = process.argv.includes('--record');
const PUBLIC = ['core', 'onnx', 'supply-chain', 'data', 'express', 'hono', 'redis-store', 'attack-lab', 'models', 'cli'];
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
const transcript = [];
const started = Date.now();

function run(cmd, args, opts = {}) {
  const shown = `${opts.show ?? [cmd, ...args].join(' ')}`;
  process.stdout.write(`$ ${shown}\n`);
  let out;
  try {
    out = execFileSync(cmd, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, ...opts });
  } catch (err) {
    process.stdout.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    throw new Error(`consumer test: "${shown}" failed (exit ${err.status})`);
  }
  const kept = opts.keep === undefined ? out.trim() : opts.keep(out);
  if (kept) process.stdout.write(`${kept}\n`);
  if (opts.transcript !== false) transcript.push(`$ ${shown}`, ...(kept ? [kept] : []));
  return out;
}

// 1. Build and pack.
const packs = mkdtempSync(join(tmpdir(), 'bulwark-packs-'));
run('pnpm', ['build'], { cwd: root, transcript: false });
for (const p of PUBLIC)
  run('pnpm', ['pack', '--pack-destination', packs], { cwd: join(root, 'packages', p), transcript: false, keep: (o) => o.trim().split('\n').pop() });
const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz'));
for (const t of tarballs) {
  const files = execFileSync('tar', ['tzf', join(packs, t)], { encoding: 'utf8' }).split('\n');
  const bad = files.filter((f) => /\.test\.|tsbuildinfo|\/\.tsc\//.test(f));
  if (bad.length > 0) throw new Error(`${t} ships files it must not: ${bad.slice(0, 5).join(', ')}`);
  if (!files.some((f) => f.startsWith('package/dist/'))) throw new Error(`${t} has no dist/`);
}

// 2. A fresh project outside the workspace.
const app = mkdtempSync(join(tmpdir(), 'bulwark-consumer-'));
cpSync(fixture, app, { recursive: true });
writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'bulwark-consumer', private: true, type: 'module' }, null, 2)}\n`);
mkdirSync(join(app, 'packs'));
for (const t of tarballs) cpSync(join(packs, t), join(app, 'packs', t));
transcript.push(`# in a fresh folder: npm init, then the packed tarballs (from the registry: npm install @bulwark/core …)`);
run(
  'npm',
  ['install', '--no-audit', '--no-fund', ...tarballs.map((t) => `./packs/${t}`), 'onnxruntime-node@1.23.2', 'express@5', 'hono@4', '@hono/node-server@1'],
  {
    cwd: app,
    show: 'ONNXRUNTIME_NODE_INSTALL=skip npm install @bulwark/core @bulwark/onnx @bulwark/supply-chain @bulwark/data @bulwark/express @bulwark/hono @bulwark/redis-store @bulwark/attack-lab @bulwark/models @bulwark/cli onnxruntime-node express hono @hono/node-server',
    keep: (o) =>
      o
        .trim()
        .split('\n')
        .filter((l) => /added|packages/.test(l))
        .join('\n'),
  },
);
run('npm', ['install', '--no-audit', '--no-fund', '--save-dev', 'typescript@5.9.3', '@types/node@20', '@types/express@5'], {
  cwd: app,
  show: 'npm install --save-dev typescript @types/node @types/express',
  keep: () => '',
});

// 3. Plain Node: every import, an Express app, a Hono app.
run('node', ['imports.mjs'], { cwd: app });
run('node', ['express-app.mjs'], { cwd: app });
run('node', ['hono-app.mjs'], { cwd: app });
// 4. A TypeScript consumer, library types checked too.
run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: app, show: 'npx tsc -p tsconfig.json   # strict, skipLibCheck: false' });
transcript.push('(no type errors)');
// 5. The packed CLI.
run('npx', ['bulwark', '--version'], { cwd: app });
run('npx', ['bulwark', 'attack', '--help'], { cwd: app, keep: (o) => o.trim().split('\n').slice(0, 3).join('\n') });
run('npx', ['bulwark', 'verify', 'node_modules/@bulwark/models/artifacts', '--key', 'node_modules/@bulwark/models/keys/bulwark-models.pub'], { cwd: app });
run('npx', ['bulwark', 'scan', 'node_modules/@bulwark/models/artifacts'], { cwd: app, keep: (o) => o.trim().split('\n').pop() });
await serveOnce(app);

// 6. What publishing would do.
run('pnpm', ['-r', 'publish', '--dry-run', '--no-git-checks'], {
  cwd: root,
  transcript: false,
  keep: (o) =>
    o
      .split('\n')
      .filter((l) => /^\+ |Tarball Contents|npm notice 📦|error/i.test(l))
      .slice(0, 20)
      .join('\n'),
});

rmSync(app, { recursive: true, force: true });
rmSync(packs, { recursive: true, force: true });
process.stdout.write(`consumer test: passed in ${Math.round((Date.now() - started) / 1000)} s\n`);
if (record) writeTranscript();

/** `bulwark serve` from the installed package, one prediction over HTTP, then SIGTERM. */
async function serveOnce(cwd) {
  const model = 'node_modules/@bulwark/models/artifacts/fraud.onnx';
  const key = 'node_modules/@bulwark/models/keys/bulwark-models.pub';
  const shown = `npx bulwark serve --model ${model} --verify-with ${key} --canary --port 0`;
  process.stdout.write(`$ ${shown}\n`);
  const child = spawn('node', ['node_modules/@bulwark/cli/bin/bulwark.mjs', 'serve', '--model', model, '--verify-with', key, '--canary', '--port', '0'], {
    cwd,
    env: { ...env, BULWARK_PRINCIPAL_SECRET: 'consumer-test-secret-0123456789' },
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bulwark serve did not start:\n${out}`)), 30_000);
    child.stdout.on('data', () => {
      const m = /on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`bulwark serve exited ${code}:\n${out}`)));
  });
  const row = JSON.parse(readFileSync(join(cwd, 'node_modules/@bulwark/models/data/fraud.json'), 'utf8')).test.x[0];
  const res = await fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [row] }) });
  const body = await res.text();
  child.kill('SIGTERM');
  const code = await new Promise((r) => child.once('exit', r));
  const first = out.split('\n')[0];
  process.stdout.write(`${first}\n${res.status} ${body}\nexit ${code}\n`);
  transcript.push(
    `$ ${shown}`,
    first,
    `$ curl -s ${url}/v1/predict -H 'content-type: application/json' -d '{"inputs": [[…8 values…]]}'`,
    body,
    '$ kill -TERM <pid>   # finishes in-flight requests, then exits 0',
  );
  if (res.status !== 200 || code !== 0) throw new Error(`bulwark serve answered ${res.status}, exited ${code}`);
}

function writeTranscript() {
  const path = join(root, 'docs/install.md');
  const doc = readFileSync(path, 'utf8');
  const block = ['```console', ...transcript.map((l) => l.replaceAll(tmpdir(), '/tmp')), '```'].join('\n');
  writeFileSync(path, doc.replace(/<!-- transcript -->[\s\S]*?<!-- \/transcript -->/, `<!-- transcript -->\n${block}\n<!-- /transcript -->`));
  process.stdout.write(`transcript written to ${path}\n`);
}
