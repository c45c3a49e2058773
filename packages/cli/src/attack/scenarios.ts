/**
 * The shipped models as attack scenarios: which data the attacker holds, which rows measure the
 * attack, and for evasion which features an attacker can change. Users with their own model use
 * @bulwark/attack-lab directly with their own data (docs/attack-lab.md).
 */
import { boundsOf, scaleOf } from '@bulwark/attack-lab';
import { digitsData, fraudData, leakyData, modelPath, type ShippedModelName } from '@bulwark/models';

type Rows = number[][];

export interface Scenario {
  readonly model: ShippedModelName;
  readonly modelFile: string;
  readonly classes: number;
  readonly featureNames?: readonly string[];
  /** Attacker-held rows (extraction seeds). */
  readonly pool: Rows;
  /** Held-out rows and true labels (fidelity, accuracy, utility). */
  readonly evaluation: { x: Rows; y: number[] };
  readonly membership?: { members: { x: Rows; y: number[] }; nonMembers: { x: Rows; y: number[] }; population: { x: Rows; y: number[] } };
  readonly evasion?: {
    samples: Rows;
    trueLabels: number[];
    sourceLabel: number;
    mutable: number[];
    scale: number[];
    bounds: [number, number][];
    startPool: Rows;
  };
}

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
      evaluation: { x: d.test.x.slice(0, 2000), y: d.test.y.slice(0, 2000) },
      membership: {
        members: d.train,
        nonMembers: { x: d.test.x.slice(2000), y: d.test.y.slice(2000) },
        population: { x: d.test.x.slice(0, 2000), y: d.test.y.slice(0, 2000) },
      },
      evasion: {
        samples: fraudRows.map((r) => r.x),
        trueLabels: fraudRows.map((r) => r.y),
        sourceLabel: 1,
        // A fraudster controls amount, merchant, distance, velocity and which account; not the
        // hour it is, the card reader, or the merchant's country.
        mutable: [0, 2, 3, 4, 7],
        scale: scaleOf(d.train.x),
        bounds: boundsOf(d.train.x),
        startPool: d.train.x.slice(0, 1000),
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
      evaluation: { x: d.test.x.slice(half), y: d.test.y.slice(half) },
      evasion: {
        samples: d.test.x.slice(half, half + 60),
        trueLabels: d.test.y.slice(half, half + 60),
        sourceLabel: -1,
        mutable: Array.from({ length: 64 }, (_, i) => i),
        scale: new Array(64).fill(16),
        bounds: new Array(64).fill([0, 16]) as [number, number][],
        startPool: d.test.x.slice(0, half),
      },
    };
  }
  const d = leakyData();
  return {
    model: 'leaky',
    modelFile: modelPath('leaky'),
    classes: 10,
    pool: d.population.x,
    evaluation: d.nonmembers,
    membership: { members: d.members, nonMembers: d.nonmembers, population: d.population },
  };
}
