/**
 * `pnpm bench`: every benchmark, reported as ratios against the unguarded call in the same run.
 * Writes docs/benchmarks.json and the generated tables in docs/benchmarks.md.
 * `pnpm bench --quick` is a short smoke run (figures not recorded).
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchAttack } from './bench/attack.js';
import { benchBudget } from './bench/budget.js';
import { benchDetection } from './bench/detection.js';
import { benchHttp } from './bench/http.js';
import { benchLimiters, limitersTable } from './bench/limiters.js';
import { benchPipeline } from './bench/pipeline.js';
import { benchPrivacy } from './bench/privacy.js';
import { benchRedaction } from './bench/redaction.js';
import { machine } from './bench/stats.js';
import { benchSupplyChain } from './bench/supply-chain.js';
import { fillSections } from './lib/generated.js';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const docs = fileURLToPath(new URL('../docs/', import.meta.url));
const out = (s: string) => process.stdout.write(`${s}\n`);

const results: Record<string, unknown> = { date: new Date().toISOString(), machine: machine(), quick };
const sections: Record<string, string> = {};

if (!only || only === 'pipeline') {
  out('pipeline overhead…');
  const p = await benchPipeline(quick);
  results.pipeline = p;
  const lines = ['| variant | ns/call, no-op predict | added by Bulwark, ns | ns/call, fraud model | ratio to bare model call |', '|---|---:|---:|---:|---:|'];
  for (const k of ['empty pipeline', 'one trivial guard', 'mask-output (rounded)']) {
    lines.push(
      `| ${k} | ${p.overheadNs[k]?.toFixed(0)} | ${p.overheadNs[`${k} (added)`]?.toFixed(0)} | ${p.modelNs[k]?.toFixed(0)} | ${p.modelRatio[k]?.toFixed(3)} |`,
    );
  }
  lines.push(`| bare call | ${p.overheadNs['bare no-op call']?.toFixed(0)} | 0 | ${p.modelNs['bare model call']?.toFixed(0)} | 1.000 |`);
  sections.pipeline = lines.join('\n');
  out(sections.pipeline);
}

if (!only || only === 'http') {
  out('HTTP throughput…');
  const h = await benchHttp(quick);
  results.http = h;
  const lines = [
    `Load generator and servers: ${h.pinning}.`,
    '',
    '| framework | variant | req/s | p50 ms | p99 ms | throughput ÷ unguarded | throughput ÷ lean |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of h.rows) {
    const of = (v: string) => h.rows.find((x) => x.framework === r.framework && x.variant === v)?.rps;
    const ratio = (v: string) => (of(v) ? (r.rps / (of(v) as number)).toFixed(3) : '');
    lines.push(`| ${r.framework} | ${r.variant} | ${r.rps.toFixed(0)} | ${r.p50ms} | ${r.p99ms} | ${ratio('unguarded')} | ${ratio('lean')} |`);
  }
  lines.push(
    '',
    '`bulwark serve` ÷ lean, per round (median, min–max over rounds), and what the OpenTelemetry SDK with an OTLP exporter adds per request (from throughput on the pinned core):',
    '',
    '| framework | guarded ÷ lean, median | min – max | SDK + OTLP exporter, µs/request |',
    '|---|---:|---:|---:|',
    ...Object.entries(h.leanRatios).map(
      ([f, r]) => `| ${f} | **${r.median.toFixed(3)}** | ${r.min.toFixed(3)} – ${r.max.toFixed(3)} | ${h.telemetryUsPerRequest[f]?.toFixed(1) ?? ''} |`,
    ),
    '',
    'Hono at a fixed 1,000 req/s (8 connections), below saturation:',
    '',
    '| variant | p50 ms | p99 ms | p99.9 ms | p99 added to guarded, ms |',
    '|---|---:|---:|---:|---:|',
  );
  const base = h.fixedRate.find((f) => f.variant === 'guarded');
  for (const f of h.fixedRate) lines.push(`| ${f.variant} | ${f.p50ms} | ${f.p99ms} | ${f.p999ms} | ${base ? f.p99ms - base.p99ms : ''} |`);
  sections.http = lines.join('\n');
  out(sections.http);
}

if (!only || only === 'budget') {
  out('budgets…');
  const b = await benchBudget(quick);
  results.budget = b;
  sections.budget = [
    '| measure | value |',
    '|---|---:|',
    `| MemoryStore decision (rate + day quota), ns/op | ${b.memoryDecisionNs.toFixed(0)} |`,
    `| guarded call, empty pipeline, ns | ${b.emptyPipelineNs.toFixed(0)} |`,
    `| guarded call, budget guard on MemoryStore (rate + quota + headers), ns | ${b.budgetPipelineNs.toFixed(0)} |`,
    `| **added by the budget guard, ns** | **${b.guardAddedNs.toFixed(0)}** |`,
    `| RedisStore decision, p50 µs (one at a time) | ${b.redis.p50us.toFixed(0)} |`,
    `| RedisStore decision, p99 µs (one at a time) | ${b.redis.p99us.toFixed(0)} |`,
    `| RedisStore decisions/s, one at a time | ${b.redis.sequentialPerSec.toFixed(0)} |`,
    `| RedisStore decisions/s, 64 in flight | ${b.redis.pipelinedPerSec.toFixed(0)} |`,
    `| RedisStore decisions/s, 64 in flight, ioredis auto-pipelining | ${b.redis.autoPipelinedPerSec.toFixed(0)} |`,
  ].join('\n');
  out(sections.budget);
}

if (!only || only === 'limiters') {
  out('budget against express-rate-limit and rate-limiter-flexible…');
  const l = await benchLimiters(quick);
  results.limiters = l;
  sections.limiters = [
    `Servers: ${l.pinning}; ${l.rounds} interleaved rounds after a warm-up round, medians.`,
    '',
    limitersTable(l),
    '',
    `p99 at a paced 1,000 req/s, ms: ${Object.entries(l.pacedP99Ms)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ')}.`,
  ].join('\n');
  out(sections.limiters);
}

if (!only || only === 'attack') {
  out('attack throughput…');
  const a = await benchAttack(quick);
  results.attack = a;
  const lines = ['| rows per request | queries/s | requests/s |', '|---:|---:|---:|'];
  for (const r of a) lines.push(`| ${r.rowsPerRequest} | ${r.queriesPerSecond.toFixed(0)} | ${r.requestsPerSecond.toFixed(0)} |`);
  sections.attack = lines.join('\n');
  out(sections.attack);
}

if (!only || only === 'supply-chain') {
  out('verified loading and scanning…');
  const sc = await benchSupplyChain(quick);
  results.supplyChain = sc;
  const lines = [
    '| model | MB | plain create, ms | verified load, ms | ÷ plain | verified + signature, ms | ÷ plain |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...sc.load.map(
      (r) =>
        `| ${r.model} | ${r.mb < 1 ? r.mb.toFixed(3) : r.mb.toFixed(0)} | ${r.plainMs.toFixed(2)} | ${r.verifiedMs.toFixed(2)} | ${r.verifiedRatio.toFixed(2)} | ${r.signedMs.toFixed(2)} | ${r.signedRatio.toFixed(2)} |`,
    ),
    '',
    '| scan | MB | ms | MB/s |',
    '|---|---:|---:|---:|',
    ...sc.scan.map((r) => `| ${r.format} | ${r.mb.toFixed(1)} | ${r.ms.toFixed(1)} | ${r.mbPerSecond.toFixed(0)} |`),
  ];
  sections['supply-chain'] = lines.join('\n');
  out(sections['supply-chain']);
}

if (!only || only === 'detection') {
  out('detectors…');
  const dt = await benchDetection(quick);
  results.detection = dt;
  sections.detection = [
    '| scorer | ns per row |',
    '|---|---:|',
    ...Object.entries(dt.scoringNs).map(([k, v]) => `| ${k} | ${v.toFixed(0)} |`),
    '',
    '| one row through the real model | ns per call | ÷ bare model call |',
    '|---|---:|---:|',
    ...Object.entries(dt.guardNs).map(([k, v]) => `| ${k} | ${v.toFixed(0)} | ${(dt.guardRatio[k] as number).toFixed(3)} |`),
    '',
    '| stateful detector (memory store unless named, no-op model) | µs per query |',
    '|---|---:|',
    ...Object.entries(dt.statefulUs).map(([k, v]) => `| ${k} | ${v.toFixed(1)} |`),
  ].join('\n');
  out(sections.detection);
}

if (!only || only === 'privacy') {
  out('privacy…');
  const pv = await benchPrivacy(quick);
  results.privacy = pv;
  sections.privacy = [
    '| one output row, request path | ns per row |',
    '|---|---:|',
    ...Object.entries(pv.rowNs).map(([k, v]) => `| ${k} | ${v.toFixed(0)} |`),
    '',
    '| exact sampler (between requests) | ns per sample |',
    '|---|---:|',
    ...Object.entries(pv.samplerNs).map(([k, v]) => `| ${k} | ${v.toFixed(0)} |`),
    '',
    '| guarded call, one row, no-op model | ns per call | ÷ empty pipeline |',
    '|---|---:|---:|',
    ...Object.entries(pv.guardNs).map(([k, v]) => `| ${k} | ${v.toFixed(0)} | ${(pv.guardRatio[k] as number).toFixed(2)} |`),
  ].join('\n');
  out(sections.privacy);
}

if (!only || only === 'redaction') {
  out('redaction…');
  const rd = await benchRedaction(quick);
  results.redaction = rd;
  sections.redaction = [
    `Scanning ~${(rd.textBytes / 1e6).toFixed(1)} MB, built package: prose with a planted value every ~200 words, and a number-dense multilingual mix (a third of its items look like personal data and are not: timestamps, ids, amounts, versions, digests; contexts in four scripts; a planted value every ~40 items). MB/s:`,
    '',
    `| detectors | ${Object.keys(rd.scan).join(' | ')} |`,
    `|---|${Object.keys(rd.scan)
      .map(() => '---:')
      .join('|')}|`,
    ...Object.keys(Object.values(rd.scan)[0] ?? {}).map((d) => {
      const cells = Object.values(rd.scan).map((row) => (d === 'full set' ? `**${row[d]?.toFixed(1)}**` : row[d]?.toFixed(1)));
      return `| ${d === 'full set' ? '**full set (all 12)**' : d} | ${cells.join(' | ')} |`;
    }),
    '',
    'Growth on adversarial strings, wall clock: the worst t(2n)/t(n) over doublings from 128 KiB to 1 MiB (linear: 2; quadratic: 4):',
    '',
    '| scanner | worst t(2n)/t(n) |',
    '|---|---:|',
    ...Object.entries(rd.scaling).map(([k, v]) => `| ${k} | ${v.toFixed(2)} |`),
    '',
    `Per answer (the fraud example's /v1/cases answer: one prediction with two customer records, ${rd.answerBytes} bytes of JSON):`,
    '',
    '| redaction | ns per answer |',
    '|---|---:|',
    ...Object.entries(rd.pathNs).map(([k, v]) => `| ${k} | ${v.toFixed(0)} |`),
    '',
    `HTTP (hono, 16 connections, ${rd.http.rounds} interleaved rounds; throughput ratio per round, median and range):`,
    '',
    '| server | req/s |',
    '|---|---:|',
    ...Object.entries(rd.http.rps).map(([k, v]) => `| ${k} | ${v.toFixed(0)} |`),
    '',
    '| ratio | median | min – max |',
    '|---|---:|---:|',
    ...Object.entries(rd.http.ratios).map(([k, r]) => `| ${k} | **${r.median.toFixed(3)}** | ${r.min.toFixed(3)} – ${r.max.toFixed(3)} |`),
  ].join('\n');
  out(sections.redaction);
}

if (!quick) {
  const jsonPath = `${docs}benchmarks.json`;
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch {}
  writeFileSync(jsonPath, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
  const mdPath = `${docs}benchmarks.md`;
  fillSections(mdPath, { machine: `${results.machine} (run ${String(results.date).slice(0, 10)})`, ...sections });
  out(`recorded in ${mdPath}`);
}
