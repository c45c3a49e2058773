/**
 * Runs attacks against served targets and assembles the report: for each model an attack needs,
 * `bulwark serve` is started on loopback once per policy (plus `unguarded`, the same model with an
 * empty policy), or the attacks go to a target URL given by the user.
 */
import { basename } from 'node:path';
import {
  type AttackRun,
  adversarialDataset,
  checkGates,
  createTarget,
  type EvasionResult,
  evasionAttack,
  extractionAttack,
  type Gates,
  httpTransport,
  membershipAttack,
  type Report,
  type Target,
  type UtilityRow,
} from '@bulwark/attack-lab';
import type { ShippedModelName } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { type RunningServer, startServer } from '../serve.js';
import { progressBar } from './progress.js';
import { type Scenario, scenario } from './scenarios.js';

export type AttackKind = 'extraction' | 'membership' | 'evasion';

export interface AttackPlan {
  readonly attacks: readonly AttackKind[];
  /** Model per attack (defaults: extraction fraud, membership leaky, evasion fraud). */
  readonly models?: Partial<Record<AttackKind, ShippedModelName>>;
  /** Policy files to compare with `unguarded`. */
  readonly policies: readonly string[];
  /** Attack this URL instead of starting servers (named `target`). */
  readonly targetUrl?: string | undefined;
  readonly keys?: readonly string[];
  /** Keys of the benign user whose utility is measured (default: a key of its own, or --key). */
  readonly benignKeys?: readonly string[];
  readonly seed: number;
  /** Extraction query budget (default 10,000). */
  readonly queries?: number;
  /** Smaller budgets everywhere, for CI and tests. */
  readonly quick?: boolean;
  readonly gates?: Gates | undefined;
  readonly progress?: boolean;
  /** Evasion budget norm (default linf). */
  readonly norm?: 'linf' | 'l2';
}

export interface AttackOutcome {
  readonly report: Report;
  /** Successful score-based evasions of the unguarded model, with true labels, for adversarial training. */
  readonly adversarial: { jsonl: string; csv: string } | undefined;
}

const DEFAULT_MODELS: Record<AttackKind, ShippedModelName> = { extraction: 'fraud', membership: 'leaky', evasion: 'fraud' };

export async function runAttacks(plan: AttackPlan): Promise<AttackOutcome> {
  const servers = new Map<string, RunningServer>();
  const bar = progressBar(plan.progress ?? true);
  const targetNames = plan.targetUrl ? ['target'] : ['unguarded', ...plan.policies.map((p) => basename(p).replace(/\.(ya?ml|json)$/i, ''))];
  const policyOf = (name: string) => (name === 'unguarded' ? undefined : plan.policies[targetNames.indexOf(name) - 1]);

  async function urlFor(model: Scenario, target: string): Promise<string> {
    if (plan.targetUrl) return plan.targetUrl;
    const key = `${model.model}/${target}`;
    let s = servers.get(key);
    if (s === undefined) {
      s = await startServer({ model: model.modelFile, policy: policyOf(target) ?? { version: 1 }, port: 0, principalSecret: 'attack-lab-principal-secret' });
      servers.set(key, s);
    }
    return s.url;
  }
  // The attacker and the benign user are different callers: budgets spent by one do not refuse the other.
  const attackerKeys = plan.keys && plan.keys.length > 0 ? plan.keys : ['attack-lab-attacker'];
  const benignKeys =
    plan.benignKeys && plan.benignKeys.length > 0 ? plan.benignKeys : plan.keys && plan.keys.length > 0 ? plan.keys : ['attack-lab-benign-user'];
  const makeTarget = async (model: Scenario, name: string, keys: readonly string[] = attackerKeys): Promise<Target> =>
    createTarget(name, httpTransport(await urlFor(model, name)), { keys });

  const runs: AttackRun[] = [];
  const utility: UtilityRow[] = [];
  let adversarial: EvasionResult | undefined;
  const quick = plan.quick === true;
  try {
    const models = new Set<ShippedModelName>();
    for (const attack of plan.attacks) {
      const sc = scenario(plan.models?.[attack] ?? DEFAULT_MODELS[attack]);
      models.add(sc.model);
      for (const name of targetNames) {
        const target = await makeTarget(sc, name);
        const progress = bar(`${attack} ${sc.model} vs ${name}`);
        if (attack === 'extraction') {
          const reference = await loadOnnxClassifier(sc.modelFile);
          const targetLabels = (await reference.predict(sc.evaluation.x.slice(0, 1000))).map((p) => p.label);
          await reference.close();
          const budget = plan.queries ?? (quick ? 1000 : 10_000);
          const checkpoints = [100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000].filter((c) => c < budget).concat(budget);
          const result = await extractionAttack(target, {
            pool: sc.pool,
            evaluation: { x: sc.evaluation.x.slice(0, 1000), targetLabels, y: sc.evaluation.y.slice(0, 1000) },
            classes: sc.classes,
            strategy: 'active',
            checkpoints,
            seed: plan.seed,
            progress,
          });
          runs.push({ target: name, model: sc.model, result });
        } else if (attack === 'membership') {
          if (!sc.membership) throw new Error(`no membership data for model ${sc.model}`);
          const result = await membershipAttack(target, {
            ...sc.membership,
            classes: sc.classes,
            seed: plan.seed,
            sampleSize: quick ? 100 : 200,
            shadowModels: quick ? 2 : 4,
            shadowEpochs: quick ? 40 : 150,
            progress,
          });
          runs.push({ target: name, model: sc.model, result });
        } else {
          const ev = sc.evasion;
          if (!ev) throw new Error(`no evasion data for model ${sc.model}`);
          for (const method of ['score', 'decision'] as const) {
            const result = await evasionAttack(await makeTarget(sc, name), {
              samples: ev.samples.slice(0, quick ? 15 : 60),
              trueLabels: ev.trueLabels,
              sourceLabel: ev.sourceLabel < 0 ? undefined : ev.sourceLabel,
              method,
              norm: plan.norm,
              epsilon: (sc.model === 'digits' ? 0.25 : 0.5) * (plan.norm === 'l2' ? 2 : 1),
              featureScale: ev.scale,
              bounds: ev.bounds,
              mutable: ev.mutable,
              startPool: ev.startPool,
              seed: plan.seed,
              maxQueriesPerSample: quick ? 100 : undefined,
              progress: bar(`evasion/${method} ${sc.model} vs ${name}`),
            });
            runs.push({ target: name, model: sc.model, result });
            // The hardening loop retrains the model itself: export what evades it unguarded.
            if (adversarial === undefined && (name === 'unguarded' || name === 'target')) adversarial = result;
          }
        }
      }
    }
    // Utility: a benign user's view of each target on held-out rows.
    for (const m of models) {
      const sc = scenario(m);
      const rows = sc.evaluation.x.slice(0, quick ? 200 : 1000);
      const reference = await loadOnnxClassifier(sc.modelFile);
      const ref = await reference.predict(rows);
      await reference.close();
      for (const name of targetNames) {
        const t = await makeTarget(sc, name, benignKeys);
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
          model: m,
          accuracy: correct / Math.max(1, answered),
          labelAgreement: agree / Math.max(1, answered),
          meanScoreChange: change / Math.max(1, answered),
          refused: 1 - answered / rows.length,
        });
      }
    }
  } finally {
    await Promise.all([...servers.values()].map((s) => s.close()));
  }
  const gates = plan.gates ? checkGates(runs, plan.gates) : [];
  const report: Report = { title: `Bulwark attack report: ${plan.attacks.join(', ')}`, seed: plan.seed, runs, utility, gates };
  const names = plan.attacks.includes('evasion') ? scenario(plan.models?.evasion ?? 'fraud').featureNames : undefined;
  return {
    report,
    adversarial: adversarial ? { jsonl: adversarialDataset(adversarial, 'jsonl'), csv: adversarialDataset(adversarial, 'csv', names) } : undefined,
  };
}
