/**
 * A user guard under `bulwark serve`: the custom-guard example's definition, loaded as a plugin by
 * its policy file and run by the real CLI process.
 */
import { fileURLToPath } from 'node:url';
import { fraudData, modelPath } from '@bulwark/models';
import { expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { postJson } from '../helpers/http.js';

const crafted = [42, 13, 0.2, 5, 0, 1, 0, 1e6]; // an account age no real card has

it('runs under `bulwark serve` as a plugin of its policy file', async () => {
  const policy = fileURLToPath(new URL('../../examples/custom-guard/policy.yaml', import.meta.url));
  const cli = await startCli(['--model', modelPath('fraud'), '--policy', policy]);
  try {
    expect(cli.output()).toContain('guards: feature-range');
    const ok = await postJson(`${cli.url}/v1/predict`, { inputs: [fraudData().test.x[0]] });
    expect(ok.status).toBe(200);
    const refused = await postJson(`${cli.url}/v1/predict`, { inputs: [crafted] });
    expect(refused.status).toBe(422);
    expect(refused.json.error).toEqual({ code: 'anomalous_input', message: '1 value(s) outside the training range' });
  } finally {
    cli.child.kill('SIGTERM');
    await cli.exited;
  }
});
