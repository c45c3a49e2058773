/**
 * Runs attacks against served targets and assembles the report: for each model an attack needs,
 * `bulwark serve` is started on loopback once per policy (plus `unguarded`, the same model with an
 * empty policy), or the attacks go to a target URL given by the user (any model, with its data).
 *
 * A judge measures: the target model's own labels and scores for fidelity, transfer and averaging
 * come from the model in process (shipped models), or from the target with a judge key of its
 * own. The judge's queries are not the attacker's.
 */
import { basename } from 'node:path';
import {
  type Answer,
  type AttackerKnowledge,
  type AttackRun,
  adversarialDataset,
  averagingAttack,
  blindQueries,
  checkGates,
  createTarget,
  type EvasionResult,
  type ExtractionStrategy,
  evasionAttack,
  extractionAttack,
  type Gates,
  httpTransport,
  labelOnlyAttack,
  liraAttack,
  type Mlp,
  membershipAttack,
  queryAll,
  type Report,
  rate,
  type Target,
  type TransferResult,
  trainShadows,
  transferAttack,
  type UtilityRow,
} from '@bulwark/attack-lab';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { type RunningServer, startServer } from '../serve.js';
import { progressBar } from './progress.js';
import type { Scenario } from './scenarios.js';

export type AttackKind = 'extraction' | 'membership' | 'evasion' | 'averaging';

export interface AttackPlan {
  readonly attacks: readonly AttackKind[];
  /** The scenario (model and data) of each attack. */
  readonly scenarios: Partial<Record<AttackKind, Scenario>>;
  /** Policy files to compare with `unguarded`. */
  readonly policies: readonly string[];
  /** Attack this URL instead of starting servers (named `target`). */
  readonly targetUrl?: string | undefined;
  /** API keys the attacker holds. */
  readonly keys?: readonly string[];
  /** Client addresses the attacker appears from (X-Forwarded-For; keyless APIs behind a trusted proxy). */
  readonly addresses?: readonly string[];
  /** `round-robin`: spread every attack over all identities (Sybil); default: next one on refusal. */
  readonly rotate?: 'on-refusal' | 'round-robin';
  /** Keys of the benign user whose utility is measured (default: a key of its own, or --key). */
  readonly benignKeys?: readonly string[];
  /** Key the judge uses against a --target (default: the benign user's). */
  readonly judgeKey?: string | undefined;
  readonly seed: number;
  /** Extraction query budget (default 10,000). */
  readonly queries?: number;
  readonly strategy?: ExtractionStrategy | undefined;
  /** Longest wait for a Retry-After, seconds (default 2). */
  readonly maxWaitSeconds?: number;
  /** Smaller budgets everywhere, for CI and tests. */
  readonly quick?: boolean;
  readonly gates?: Gates | undefined;
  readonly progress?: boolean;
  /** Evasion budget norm (default linf). */
  readonly norm?: 'linf' | 'l2';
  /** Each run of an attack (e.g. each evasion method) on its own identity, in turn (default: all hold every identity). */
  readonly identityPerRun?: boolean;
  /** Repeat counts the averaging attack measures (default [1, 10, 100]; quick [1, 10]). */
  readonly averagingRepeats?: readonly number[] | undefined;
  /** Jitters (in feature standard deviations) the averaging attack tries (default [0, 0.01]). */
  readonly averagingJitters?: readonly number[] | undefined;
  /** A label for every run of this plan in reports (e.g. "10 keys, round-robin"). */
  readonly variant?: string | undefined;
  /**
   * The adaptive attacker against stateful detectors (query blinding): evasion queries move by
   * fresh noise of up to this share of each feature's scale, and the search keeps ε − blind for
   * itself so its examples stay within ε.
   */
  readonly blind?: number | undefined;
  /** The extraction attacker rounds the features its data holds only integers in (it read the API's validation rules). */
  readonly respectIntegers?: boolean | undefined;
}

export interface AttackOutcome {
  readonly report: Report;
  /** Successful score-based evasions of the unguarded model, with true labels, for adversarial training. */
  readonly adversarial: { jsonl: string; csv: string } | undefined;
}

/** What the judge knows of the target model: labels and scores for rows, not counted as attacks. */
interface Judge {
  answers(rows: readonly (readonly number[])[]): Promise<(Answer | undefined)[]>;
  target(): Target;
  close(): Promise<void>;
}

export async function runAttacks(plan: AttackPlan): Promise<AttackOutcome> {
  const servers = new Map<string, RunningServer>();
  const bar = progressBar(plan.progress ?? true);
  const targetNames = plan.targetUrl ? ['target'] : ['unguarded', ...plan.policies.map((p) => basename(p).replace(/\.(ya?ml|json)$/i, ''))];
  const policyOf = (name: string) => (name === 'unguarded' ? undefined : plan.policies[targetNames.indexOf(name) - 1]);
  const quick = plan.quick === true;

  async function urlFor(sc: Scenario, target: string): Promise<string> {
    if (plan.targetUrl) return plan.targetUrl;
    if (sc.modelFile === undefined) throw new Error(`no model file for ${sc.model}: attack it with --target`);
    const key = `${sc.model}/${target}`;
    let s = servers.get(key);
    if (s === undefined) {
      s = await startServer({ model: sc.modelFile, policy: policyOf(target) ?? { version: 1 }, port: 0, principalSecret: 'attack-lab-principal-secret' });
      servers.set(key, s);
    }
    return s.url;
  }
  // The attacker and the benign user are different callers: budgets spent by one do not refuse the other.
  const keys = plan.keys && plan.keys.length > 0 ? plan.keys : plan.addresses && plan.addresses.length > 0 ? [] : ['attack-lab-attacker'];
  const benignKeys = plan.benignKeys && plan.benignKeys.length > 0 ? plan.benignKeys : ['attack-lab-benign-user'];
  const maxWaitSeconds = plan.maxWaitSeconds ?? 2;
  /**
   * The attacker's target. With `identityPerRun`, run `n` of an attack uses identity n alone (each
   * evasion method, for instance, on a key of its own); otherwise every run holds every identity.
   */
  const makeTarget = async (sc: Scenario, name: string, run?: number): Promise<Target> => {
    const one = plan.identityPerRun === true && run !== undefined;
    const k = one && keys.length > 0 ? [keys[run % keys.length] as string] : keys;
    const a = one && keys.length === 0 && plan.addresses?.length ? [plan.addresses[run % plan.addresses.length] as string] : plan.addresses;
    return createTarget(name, httpTransport(await urlFor(sc, name)), { keys: k, addresses: a, rotate: plan.rotate, maxWaitSeconds });
  };
  const benignTarget = async (sc: Scenario, name: string): Promise<Target> => createTarget(name, httpTransport(await urlFor(sc, name)), { keys: benignKeys });

  const judges = new Map<string, Judge>();
  async function judgeOf(sc: Scenario): Promise<Judge> {
    const known = judges.get(sc.model);
    if (known) return known;
    let judge: Judge;
    if (sc.modelFile !== undefined) {
      const model = await loadOnnxClassifier(sc.modelFile);
      const target = () => createTarget('judge', async (rows) => ({ ok: true, answers: await model.predict(rows as number[][]) }), { keys: ['judge'] });
      judge = { answers: async (rows) => model.predict(rows as number[][]), target, close: () => model.close() };
    } else {
      const url = plan.targetUrl as string;
      const target = () => createTarget('judge', httpTransport(url), { keys: [plan.judgeKey ?? benignKeys[0]] });
      judge = { answers: (rows) => queryAll(target(), rows, 50), target, close: async () => {} };
    }
    judges.set(sc.model, judge);
    return judge;
  }

  const runs: AttackRun[] = [];
  const utility: UtilityRow[] = [];
  let adversarial: EvasionResult | undefined;
  const surrogates = new Map<string, Mlp>();
  const budget = plan.queries ?? (quick ? 1000 : 10_000);
  try {
    const models = new Map<string, Scenario>();
    for (const attack of plan.attacks) {
      const sc = plan.scenarios[attack];
      if (sc === undefined) throw new Error(`no scenario for ${attack}`);
      models.set(sc.model, sc);
      const judge = await judgeOf(sc);
      if (attack === 'extraction') {
        const evalX = sc.evaluation.x.slice(0, 1000);
        const judged = await judge.answers(evalX);
        const targetLabels = judged.map((a) => a?.label ?? -1);
        if (targetLabels.includes(-1))
          throw new Error("the judge could not get the target's own labels for the evaluation rows (give --judge-key a key the target answers)");
        const checkpoints = [100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000].filter((c) => c < budget).concat(budget);
        const strategy = plan.strategy ?? (sc.pool.length === 0 ? 'random' : 'active');
        for (const name of targetNames) {
          const result = await extractionAttack(await makeTarget(sc, name), {
            pool: sc.pool,
            bounds: sc.bounds,
            evaluation: { x: evalX, targetLabels, y: sc.evaluation.y.slice(0, 1000) },
            classes: sc.classes,
            strategy,
            checkpoints,
            seed: plan.seed,
            ...(plan.respectIntegers && sc.pool.length > 0
              ? { integerFeatures: (sc.bounds.map((_, j) => j) as number[]).filter((j) => sc.pool.every((r) => Number.isInteger(r[j]))) }
              : {}),
            onSurrogate: (m) => surrogates.set(`${sc.model}/${name}`, m),
            progress: bar(`extraction ${sc.model} vs ${name}`),
          });
          runs.push({ target: name, model: sc.model, result });
        }
      } else if (attack === 'membership') {
        const m = sc.membership;
        if (!m) throw new Error(`no membership data for ${sc.model}`);
        const shadowCount = quick ? 4 : 16;
        const shadows = trainShadows(m.population, sc.classes, m.recipe, shadowCount, plan.seed, bar(`LiRA shadow models for ${sc.model}`));
        for (const name of targetNames) {
          const common = { members: m.members, nonMembers: m.nonMembers, classes: sc.classes, seed: plan.seed };
          runs.push({
            target: name,
            model: sc.model,
            result: await membershipAttack(await makeTarget(sc, name, 0), {
              ...common,
              population: m.population,
              recipe: m.recipe,
              sampleSize: quick ? 100 : 200,
              shadowModels: quick ? 2 : 4,
              progress: bar(`membership ${sc.model} vs ${name}`),
            }),
          });
          runs.push({
            target: name,
            model: sc.model,
            result: await liraAttack(await makeTarget(sc, name, 1), {
              ...common,
              population: m.population,
              recipe: m.recipe,
              trainedShadows: shadows,
              sampleSize: quick ? 100 : 400,
            }),
          });
          runs.push({
            target: name,
            model: sc.model,
            result: await labelOnlyAttack(await makeTarget(sc, name, 2), {
              ...common,
              population: m.population,
              recipe: m.recipe,
              bounds: sc.bounds,
              sampleSize: quick ? 100 : 400,
              neighbours: quick ? 8 : 32,
              progress: bar(`label-only membership ${sc.model} vs ${name}`),
            }),
          });
        }
      } else if (attack === 'evasion') {
        const ev = sc.evasion;
        if (!ev) throw new Error(`no evasion data for ${sc.model}`);
        const epsilon = ev.epsilon * (plan.norm === 'l2' ? 2 : 1) - (plan.blind ?? 0);
        if (!(epsilon > 0)) throw new Error(`--blind must be below the evasion budget ε = ${ev.epsilon}`);
        const samples = ev.samples.slice(0, quick ? 15 : 60);
        const common = {
          samples,
          trueLabels: ev.trueLabels,
          sourceLabel: ev.sourceLabel < 0 ? undefined : ev.sourceLabel,
          norm: plan.norm,
          epsilon,
          featureScale: ev.scale,
          bounds: sc.bounds,
          mutable: ev.mutable,
          startPool: ev.startPool,
          seed: plan.seed,
        };
        for (const name of targetNames) {
          // Transfer first, as an attacker would: extract a surrogate (the extraction run above,
          // or a short one here, counted against the target like any other queries), then craft
          // on it with no further query.
          let surrogate = surrogates.get(`${sc.model}/${name}`);
          let variant = 'surrogate from the extraction run';
          let extracted = 0;
          if (surrogate === undefined && sc.pool.length > 0) {
            const evalX = sc.evaluation.x.slice(0, 500);
            const labels = (await judge.answers(evalX)).map((a) => a?.label ?? -1);
            const q = quick ? 500 : 2000;
            const r = await extractionAttack(await makeTarget(sc, name, 0), {
              pool: sc.pool,
              bounds: sc.bounds,
              evaluation: { x: evalX, targetLabels: labels },
              classes: sc.classes,
              strategy: 'active',
              checkpoints: [q],
              seed: plan.seed,
              onSurrogate: (m) => {
                surrogate = m;
              },
            });
            extracted = r.stats.rowsAnswered;
            variant = `surrogate from ${q} extraction queries`;
          }
          const transferSamples = ev.samples.slice(0, quick ? 60 : 300);
          runs.push({
            target: name,
            model: sc.model,
            variant,
            result:
              surrogate === undefined
                ? transferInconclusive(
                    common,
                    sc.pool.length === 0
                      ? 'a data-free attacker has no surrogate here: run extraction first'
                      : `no surrogate: its extraction got ${extracted} answers`,
                  )
                : await transferAttack(surrogate, judge.target(), { ...common, samples: transferSamples }),
          });
          for (const [i, method] of (['score', 'decision', 'hopskipjump'] as const).entries()) {
            const plain = await makeTarget(sc, name, i + 1);
            const attacked =
              plan.blind === undefined
                ? plain
                : blindQueries(plain, { noise: ev.scale.map((f) => (plan.blind as number) * f), bounds: sc.bounds, mutable: ev.mutable, seed: plan.seed + i });
            const result = await evasionAttack(attacked, {
              ...common,
              method,
              maxQueriesPerSample: quick ? (method === 'hopskipjump' ? 300 : 100) : undefined,
              progress: bar(`evasion/${method} ${sc.model} vs ${name}`),
            });
            runs.push({ target: name, model: sc.model, result });
            // The hardening loop retrains the model itself: export what evades it unguarded.
            if (adversarial === undefined && method === 'score' && (name === 'unguarded' || name === 'target')) adversarial = result;
          }
        }
      } else {
        const rows = sc.evaluation.x.slice(0, quick ? 20 : 50);
        const reference = (await judge.answers(rows)).map((a) => [...(a?.scores ?? [])]);
        for (const name of targetNames) {
          for (const jitter of plan.averagingJitters ?? [0, 0.01]) {
            runs.push({
              target: name,
              model: sc.model,
              result: await averagingAttack(await makeTarget(sc, name), {
                rows,
                reference,
                repeats: plan.averagingRepeats ?? (quick ? [1, 10] : [1, 10, 100]),
                jitter,
                featureScale: sc.evasion?.scale,
                bounds: sc.bounds,
                seed: plan.seed,
              }),
            });
          }
        }
      }
    }
    // Utility: a benign user's view of each target on held-out rows.
    for (const sc of models.values()) {
      const rows = sc.evaluation.x.slice(0, quick ? 200 : 1000);
      const ref = await (await judgeOf(sc)).answers(rows);
      for (const name of targetNames) {
        const t = await benignTarget(sc, name);
        let correct = 0;
        let agree = 0;
        let change = 0;
        let answered = 0;
        for (let i = 0; i < rows.length; i += 50) {
          const answers = await t.query(rows.slice(i, i + 50));
          answers?.forEach((a, j) => {
            const r = ref[i + j];
            answered++;
            if (a.label === sc.evaluation.y[i + j]) correct++;
            if (a.label === r?.label) agree++;
            change += a.scores === undefined ? 1 : (r?.scores ?? []).reduce((s, v, k) => s + Math.abs(v - (a.scores?.[k] ?? 0)), 0) / (r?.scores?.length ?? 1);
          });
        }
        utility.push({
          target: name,
          model: sc.model,
          accuracy: rate(correct, answered),
          labelAgreement: rate(agree, answered),
          meanScoreChange: change / Math.max(1, answered),
          refused: rate(rows.length - answered, rows.length),
        });
      }
    }
  } finally {
    await Promise.all([...servers.values()].map((s) => s.close()));
    await Promise.all([...judges.values()].map((j) => j.close()));
  }
  if (plan.variant !== undefined) {
    for (const [i, r] of runs.entries()) runs[i] = { ...r, variant: r.variant ? `${plan.variant}; ${r.variant}` : plan.variant };
  }
  const gates = plan.gates ? checkGates(runs, plan.gates) : [];
  const report: Report = {
    title: `Bulwark attack report: ${plan.attacks.join(', ')}`,
    seed: plan.seed,
    attacker: knowledge(plan, budget, maxWaitSeconds),
    runs,
    utility,
    gates,
  };
  const names = plan.attacks.includes('evasion') ? plan.scenarios.evasion?.featureNames : undefined;
  return {
    report,
    adversarial: adversarial ? { jsonl: adversarialDataset(adversarial, 'jsonl'), csv: adversarialDataset(adversarial, 'csv', names) } : undefined,
  };
}

function transferInconclusive(o: { norm?: 'linf' | 'l2' | undefined; epsilon: number }, reason: string): TransferResult {
  return {
    attack: 'transfer',
    norm: o.norm ?? 'linf',
    epsilon: o.epsilon,
    attempted: 0,
    fooledSurrogate: 0,
    transferred: 0,
    transferRate: undefined,
    attackerQueries: 0,
    inconclusive: reason,
  };
}

function knowledge(plan: AttackPlan, budget: number, maxWait: number): AttackerKnowledge {
  const data = [...new Set(Object.entries(plan.scenarios).map(([attack, sc]) => `${attack} on ${sc?.model}: ${sc?.knowledge}`))].join('; ');
  const nKeys = plan.keys?.length ?? 0;
  const nAddr = plan.addresses?.length ?? 0;
  const ids = [
    nKeys > 0 ? `${nKeys} API key${nKeys > 1 ? 's' : ''}` : nAddr > 0 ? '' : 'one identity (its own key, unknown to the policy, or its address)',
    nAddr > 0 ? `${nAddr} client addresses (X-Forwarded-For)` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const spread =
    plan.rotate === 'round-robin'
      ? ', round-robin: each holds 1/N of the queries'
      : plan.identityPerRun
        ? ', one per attack run (each evasion method on its own)'
        : nKeys + nAddr > 1
          ? ', the next one when one is refused'
          : '';
  const q = plan.quick ? 'quick budgets: ' : '';
  return {
    data,
    identities: `${ids}${spread}`,
    queryBudget: `${q}${budget.toLocaleString('en-US')} queries for extraction; per row: ${plan.quick ? '100 (score, decision), 300 (HopSkipJump)' : '200 (score), 400 (decision), 1,000 (HopSkipJump)'}; membership: each record once (label-only: ${plan.quick ? 8 : 32} neighbours each)`,
    timeBudget: `waits out a Retry-After of up to ${maxWait} s, else moves to the next identity or stops`,
    other: plan.attacks.includes('membership') ? "the target's training recipe (shadow models copy it)" : undefined,
  };
}
