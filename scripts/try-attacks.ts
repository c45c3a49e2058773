import { boundsOf, createTarget, evasionAttack, extractionAttack, functionTransport, membershipAttack, scaleOf } from '@bulwark/attack-lab';
import { createBulwark, maskOutput } from '@bulwark/core';
import { fraudData, leakyData, modelPath } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';

const fraud = await loadOnnxClassifier(modelPath('fraud'));
const leaky = await loadOnnxClassifier(modelPath('leaky'));
const fd = fraudData();
const mk = (m: typeof fraud, guards: any[]) => createBulwark({ guards }).wrap((r: number[][]) => m.predict(r));
const policies: Record<string, any[]> = { none: [], rounded1: [maskOutput({ form: 'rounded', decimals: 1 })], label: [maskOutput({ form: 'label' })] };
const evalX = fd.test.x.slice(0, 1000);
const ref = (await fraud.predict(evalX)).map((p) => p.label);
for (const [name, guards] of Object.entries(policies)) {
  let t0 = Date.now();
  const ex = await extractionAttack(createTarget(name, functionTransport(mk(fraud, guards))), {
    pool: fd.train.x.slice(0, 2000),
    evaluation: { x: evalX, targetLabels: ref, y: fd.test.y.slice(0, 1000) },
    classes: 2,
    strategy: 'perturb',
    checkpoints: [100, 500, 2000],
    seed: 1,
  });
  console.log(name, 'extraction', ex.points.map((p) => `${p.queries}:${p.fidelity.toFixed(3)}`).join(' '), Date.now() - t0, 'ms');
  t0 = Date.now();
  const ld = leakyData();
  const mem = await membershipAttack(createTarget(name, functionTransport(mk(leaky, guards))), {
    members: ld.members,
    nonMembers: ld.nonmembers,
    population: ld.population,
    classes: 10,
    seed: 1,
  });
  console.log(
    name,
    'membership',
    Object.entries(mem.attacks)
      .map(([k, v]) => `${k}: auc=${v?.auc.toFixed(3)} adv=${v?.advantage.toFixed(3)}`)
      .join(' | '),
    Date.now() - t0,
    'ms',
  );
  t0 = Date.now();
  const fraudRows = fd.test.x.filter((_, i) => fd.test.y[i] === 1).slice(0, 40);
  for (const method of ['score', 'decision'] as const) {
    const ev = await evasionAttack(createTarget(name, functionTransport(mk(fraud, guards))), {
      samples: fraudRows,
      sourceLabel: 1,
      method,
      epsilon: 0.5,
      featureScale: scaleOf(fd.train.x),
      bounds: boundsOf(fd.train.x),
      mutable: [0, 2, 3, 4, 7],
      startPool: fd.train.x.slice(0, 500),
      seed: 1,
    });
    console.log(name, 'evasion', method, `${ev.succeeded}/${ev.attempted}`, ev.meanQueriesPerSuccess?.toFixed(0), Date.now() - t0, 'ms');
  }
}
