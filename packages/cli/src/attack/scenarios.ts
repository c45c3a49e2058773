/**
 * Attack scenarios: which data the attacker holds, which rows measure the attack, how the target
 * was trained (for shadow models), and for evasion which features an attacker can change. The
 * shipped models are presets; `fromData` builds one for any model from a labelled file.
 */
import { boundsOf, type LabelledData, Rng, scaleOf, type TrainingRecipe } from '@bulwark/attack-lab';
import { digitsData, fraudData, leakyData, modelPath, type ShippedModelName } from '@bulwark/models';

type Rows = number[][];

export interface Scenario {
  /** The model's name in reports. */
  readonly model: string;
  /** The ONNX file served by `bulwark serve` (shipped models; undefined for a user's --target). */
  readonly modelFile: string | undefined;
  readonly classes: number;
  readonly featureNames?: readonly string[];
  /** Attacker-held rows (extraction seeds, shadow data); empty for a data-free attacker. */
  readonly pool: Rows;
  /** Per-feature [min, max] the attacker assumes. */
  readonly bounds: [number, number][];
  /** Held-out rows and true labels (fidelity, accuracy, utility). */
  readonly evaluation: { x: Rows; y: number[] };
  /** What the attacker's data is, for the report. */
  readonly knowledge: string;
  readonly membership?: {
    members: { x: Rows; y: number[] };
    nonMembers: { x: Rows; y: number[] };
    population: { x: Rows; y: number[] };
    /** How the target was trained, as the attacker knows it (shadow models copy it). */
    recipe: TrainingRecipe;
  };
  readonly evasion?: {
    samples: Rows;
    trueLabels: number[];
    /** Attack rows the target gives this label (-1: any). */
    sourceLabel: number;
    mutable: number[];
    scale: number[];
    startPool: Rows;
    /** ε for L∞ in standard deviations (L2: twice it). */
    epsilon: number;
  };
}

const PIXELS = { mean: new Array(64).fill(0), std: new Array(64).fill(16) };

export function scenario(name: ShippedModelName): Scenario {
  if (name === 'fraud') {
    const d = fraudData();
    const fraudRows = d.test.x.map((x, i) => ({ x, y: d.test.y[i] as number })).filter((r) => r.y === 1);
    return {
      model: 'fraud',
      modelFile: modelPath('fraud'),
      classes: 2,
      featureNames: d.features,
      pool: d.train.x,
      bounds: boundsOf(d.train.x),
      evaluation: { x: d.test.x.slice(0, 2000), y: d.test.y.slice(0, 2000) },
      knowledge: `${d.train.x.length.toLocaleString('en-US')} unlabelled rows of the training distribution (the feature box from them)`,
      membership: {
        members: d.train,
        nonMembers: { x: d.test.x.slice(2000), y: d.test.y.slice(2000) },
        population: { x: d.test.x.slice(0, 2000), y: d.test.y.slice(0, 2000) },
        // sklearn MLP (32, 16), L2 1e-3, standardised inputs: one hidden layer of 32 is the lab's closest.
        recipe: { hidden: 32, trainSize: 2000, epochs: 40, learningRate: 0.005, l2: 1e-3 },
      },
      evasion: {
        samples: fraudRows.map((r) => r.x),
        trueLabels: fraudRows.map((r) => r.y),
        sourceLabel: 1,
        // A fraudster controls amount, merchant, distance, velocity and which account; not the
        // hour it is, the card reader, or the merchant's country.
        mutable: [0, 2, 3, 4, 7],
        scale: scaleOf(d.train.x),
        startPool: d.train.x.slice(0, 1000),
        epsilon: 0.5,
      },
    };
  }
  if (name === 'digits') {
    const d = digitsData();
    const half = Math.floor(d.test.x.length / 2);
    return {
      model: 'digits',
      modelFile: modelPath('digits'),
      classes: 10,
      pool: d.test.x.slice(0, half),
      bounds: new Array(64).fill([0, 16]) as [number, number][],
      evaluation: { x: d.test.x.slice(half), y: d.test.y.slice(half) },
      knowledge: `${half} unlabelled digit images of the target's distribution`,
      evasion: {
        samples: d.test.x.slice(half, half + 60),
        trueLabels: d.test.y.slice(half, half + 60),
        sourceLabel: -1,
        mutable: Array.from({ length: 64 }, (_, i) => i),
        scale: new Array(64).fill(16),
        startPool: d.test.x.slice(0, half),
        epsilon: 0.25,
      },
    };
  }
  const d = leakyData();
  return {
    model: 'leaky',
    modelFile: modelPath('leaky'),
    classes: 10,
    pool: d.population.x,
    bounds: new Array(64).fill([0, 16]) as [number, number][],
    evaluation: d.nonmembers,
    knowledge: `${d.population.x.length} labelled digit images of the training distribution (none of the records tested), and the training recipe`,
    membership: {
      members: d.members,
      nonMembers: d.nonmembers,
      population: d.population,
      // The leaky model's recipe (packages/models/train/train.py): 256 hidden units, no
      // regularisation, 15% label noise, 400 rows, pixels / 16, trained to zero training error.
      recipe: { hidden: 256, trainSize: 400, epochs: 60, learningRate: 0.005, l2: 0, labelNoise: 0.15, scaling: PIXELS },
    },
  };
}

/**
 * A scenario for any model from a labelled file: the attacker holds `share` of the rows (0: none,
 * a data-free attacker who knows only the feature box), the rest measure the attack. Members and
 * non-members, when given, enable the membership attacks (the attacker's share is their
 * population data).
 */
export function fromData(
  name: string,
  data: LabelledData,
  share: number,
  seed: number,
  membership?: { members: LabelledData; nonMembers: LabelledData },
): Scenario {
  const order = new Rng(seed).fork(0xda7a).shuffle(data.x.map((_, i) => i));
  const cut = Math.round(order.length * share);
  const pool = order.slice(0, cut).map((i) => data.x[i] as number[]);
  const held = order.slice(cut, cut + 2000);
  const evaluation = { x: held.map((i) => data.x[i] as number[]), y: held.map((i) => data.y[i] as number) };
  const scale = scaleOf(data.x);
  const classes = Math.max(data.classes, membership?.members.classes ?? 0, membership?.nonMembers.classes ?? 0);
  const d = data.x[0]?.length ?? 0;
  return {
    model: name,
    modelFile: undefined,
    classes,
    featureNames: data.features,
    pool,
    bounds: boundsOf(data.x),
    evaluation,
    knowledge:
      cut === 0
        ? 'no data: uniform queries in the feature box of the data file (data-free)'
        : `${cut} rows of the data file (${Math.round(share * 100)}%); the rest measure the attack`,
    membership:
      membership === undefined
        ? undefined
        : {
            members: membership.members,
            nonMembers: membership.nonMembers,
            population: { x: pool, y: order.slice(0, cut).map((i) => data.y[i] as number) },
            recipe: { hidden: 64, trainSize: Math.max(50, Math.min(membership.members.x.length, cut)), epochs: 100, learningRate: 0.005, l2: 0 },
          },
    evasion: {
      samples: evaluation.x.slice(0, 60),
      trueLabels: evaluation.y.slice(0, 60),
      sourceLabel: -1,
      mutable: Array.from({ length: d }, (_, j) => j),
      scale,
      // A data-free attacker has no rows to start a decision-based search from: HopSkipJump starts from noise.
      startPool: pool.slice(0, 1000),
      epsilon: 0.5,
    },
  };
}
