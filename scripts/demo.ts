/**
 * `pnpm demo`: the main job. Serves the shipped fraud model with `bulwark serve` and a policy
 * (known API keys, rounded scores), then plays a short scripted attack against it over HTTP:
 * malformed and poisoned requests, an unknown key, model extraction, and evasion. Every guard
 * decision is printed as it happens; a summary of what the attacker achieved closes the run.
 */
import { fileURLToPath } from 'node:url';
import { boundsOf, createTarget, evasionAttack, extractionAttack, httpTransport, scaleOf } from '@bulwark/attack-lab';
import { startServer } from '@bulwark/cli';
import type { Decision, DecisionInfo } from '@bulwark/core';
import { fraudData, modelPath, modelsPublicKey } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';

const root = fileURLToPath(new URL('../', import.meta.url));
const color = process.stdout.isTTY ? (c: number, s: string) => `\x1b[${c}m${s}\x1b[0m` : (_: number, s: string) => s;
const say = (s = '') => process.stdout.write(`${s}\n`);
const step = (s: string) => say(`\n${color(1, `▶ ${s}`)}`);

// Guard decisions as they happen: the first few of each kind in full, then a running count.
const seen = new Map<string, number>();
function onDecision(d: Decision, info: DecisionInfo): void {
  const key = `${d.guard}/${d.code}`;
  const n = (seen.get(key) ?? 0) + 1;
  seen.set(key, n);
  if (n <= 2)
    say(
      `  ${color(d.action === 'deny' ? 31 : 33, `[guard] ${d.action.padEnd(6)} ${d.code}`)} by ${d.guard}, caller ${info.principalHash.slice(0, 8)}, ${info.queries} row(s): ${d.message}`,
    );
  else if (n === 3) say(color(2, `  [guard] … further ${key} decisions are counted, not printed`));
}

const ANALYST = 'sk_demo_analyst_7f3a';
const PARTNER = 'sk_demo_partner_91c2';
const server = await startServer({
  model: modelPath('fraud'),
  policy: `${root}policies/demo.yaml`,
  port: 0,
  principalSecret: 'demo-principal-secret-0001',
  // The shipped models are signed (packages/models/artifacts/model.sig): refused unless they verify.
  verify: { verifyWith: modelsPublicKey() },
  onDecision,
});
const url = `${server.url}/v1/predict`;
const post = async (body: string, key?: string) => {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) }, body });
  return { status: r.status, body: (await r.json()) as { predictions?: { label: number; scores?: number[] }[]; error?: { code: string; message: string } } };
};

say(color(1, 'Bulwark demo: a guarded fraud-scoring API and a scripted attacker'));
say(`bulwark serve: model fraud (sha256 ${server.model.descriptor.digest.slice(0, 12)}…, signature verified) on ${server.url}, policy policies/demo.yaml`);
say('guards: budget (per-key rate, daily quota weighted by what answers reveal), mask-output (scores rounded to 2 decimals); known API keys required');

step('1. A legitimate analyst scores two transactions');
const d = fraudData();
for (const [name, tx] of [
  ['routine card-present purchase', [25, 14, 0.1, 3, 0, 1, 0, 2000]],
  ['night-time foreign online purchase', [950, 3, 0.8, 400, 4, 0, 1, 20]],
] as const) {
  const r = await post(JSON.stringify({ inputs: tx }), ANALYST);
  say(
    `  ${name}: ${r.body.predictions?.[0]?.label === 1 ? color(31, 'FRAUD') : color(32, 'legit')} (p(fraud) = ${r.body.predictions?.[0]?.scores?.[1]?.toFixed(2)})`,
  );
}

step('2. Probing with malformed and poisoned requests');
const bad: [string, string, string | undefined][] = [
  ['no API key', JSON.stringify({ inputs: d.test.x[0] }), undefined],
  ['an unknown API key', JSON.stringify({ inputs: d.test.x[0] }), 'sk_guessed_key'],
  ['1e39 (overflows float32)', JSON.stringify({ inputs: [[...(d.test.x[0] as number[]).slice(0, 7), 1e39]] }), PARTNER],
  ['a prototype-poisoning key', '{"inputs":[1,2,3,4,5,6,7,8],"__proto__":{"isAdmin":true}}', PARTNER],
  ['a 9-feature row', JSON.stringify({ inputs: [1, 2, 3, 4, 5, 6, 7, 8, 9] }), PARTNER],
  ['100,000-deep nesting', `{"inputs":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, PARTNER],
];
for (const [name, body, key] of bad) {
  const r = await post(body, key);
  say(`  ${name.padEnd(28)} → ${r.status} ${color(31, r.body.error?.code ?? '?')}: ${r.body.error?.message}`);
}
say(`  the server is still up: GET /healthz → ${((await (await fetch(`${server.url}/healthz`)).json()) as { status: string }).status}`);

step('3. Model extraction: the partner queries up to 2,000 synthetic transactions to clone the model');
const reference = await loadOnnxClassifier(modelPath('fraud'));
const evalX = d.test.x.slice(0, 1000);
const targetLabels = (await reference.predict(evalX)).map((p) => p.label);
const extraction = await extractionAttack(createTarget('guarded', httpTransport(server.url), { keys: [PARTNER] }), {
  pool: d.train.x.slice(0, 2000),
  evaluation: { x: evalX, targetLabels, y: d.test.y.slice(0, 1000) },
  classes: 2,
  strategy: 'active',
  checkpoints: [250, 1000, 2000],
  seed: 1,
});
for (const p of extraction.points.filter((x) => x.queries <= extraction.stats.rowsSent))
  say(
    `  at ${String(p.queries).padStart(5)} queries sent (${p.answered} answered): the clone agrees with the model on ${p.fidelity === undefined ? '(too few answers to say)' : `${(p.fidelity.value * 100).toFixed(1)}% of unseen transactions`}`,
  );
const refused = Object.entries(extraction.stats.refusals)
  .map(([c, n]) => `${n} × ${c}`)
  .join(', ');
if (extraction.stats.gaveUp) say(`  the budget stopped it: ${refused}; the attacker gave up (Retry-After too long)`);

step('4. Evasion: the partner nudges 20 flagged transactions (±0.5σ on amount, merchant, distance, velocity, account)');
const flagged = d.test.x.filter((_, i) => d.test.y[i] === 1).slice(0, 20);
const evasion = await evasionAttack(createTarget('guarded', httpTransport(server.url), { keys: [PARTNER] }), {
  samples: flagged,
  sourceLabel: 1,
  method: 'score',
  epsilon: 0.5,
  featureScale: scaleOf(d.train.x),
  bounds: boundsOf(d.train.x),
  mutable: [0, 2, 3, 4, 7],
  seed: 1,
});
say(
  `  ${evasion.succeeded} of ${evasion.attempted} flagged transactions now pass as legit (${evasion.meanQueriesPerSuccess?.toFixed(0) ?? '–'} queries each on average)`,
);
if (evasion.stats.gaveUp)
  say(
    `  the budget stopped it: ${Object.entries(evasion.stats.refusals)
      .map(([c, n]) => `${n} × ${c}`)
      .join(', ')}`,
  );

step('Summary');
say('  guard decisions during the run:');
for (const [key, n] of [...seen.entries()].sort((a, b) => b[1] - a[1])) say(`    ${String(n).padStart(6)} × ${key}`);
say(
  `  evasion: ${evasion.succeeded}/${evasion.attempted} flipped; extraction: ${extraction.fidelity === undefined ? 'not measured' : `${(extraction.fidelity.value * 100).toFixed(1)}%`} fidelity from ${extraction.stats.rowsAnswered} answered queries.`,
);
say('  The daily budget capped how many answers the partner key could get; rounding alone stops');
say('  neither attack (docs/robustness.md). A small model is cloned from few queries: budgets set');
say('  how few, per key and for all keys together (global limits).');
say(`  full attack reports: pnpm attack all --policy policies/demo.yaml --key ${PARTNER}`);
await reference.close();
await server.close();
