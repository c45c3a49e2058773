/**
 * Redaction under `bulwark serve`: the fraud example's cases policy, whose case-history plugin
 * attaches customer records to each answer and whose `redact` guard strips them, run by the real
 * CLI process over loopback HTTP.
 */
import { fileURLToPath } from 'node:url';
import { modelPath } from '@bulwark/models';
import { expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { postJson } from '../helpers/http.js';

it('redacts what a plugin attached, by the policy file, through `bulwark serve`', async () => {
  const policy = fileURLToPath(new URL('../../examples/fraud-express/cases-policy.yaml', import.meta.url));
  const cli = await startCli(['--model', modelPath('fraud'), '--policy', policy, '--log-decisions']);
  try {
    expect(cli.output()).toContain('guards: mask-output, case-history, redact');
    const res = await postJson(`${cli.url}/v1/predict`, { inputs: [[950, 3, 0.8, 400, 4, 0, 1, 20]] });
    expect(res.status).toBe(200);
    const text = JSON.stringify(res.json);
    expect(text).toContain('Maria Lopez');
    expect(text).toContain('**** **** **** 1111');
    for (const v of [
      'maria.lopez@example.com',
      '078-05-1120',
      '1984-03-12',
      '4111 1111 1111 1111',
      'GB82 WEST',
      'sk_live_51HxRkT2eZvKYlo2C0123abcd',
      '203.0.113.77',
    ]) {
      expect(text).not.toContain(v);
    }
    // The decision log names what was found and where, never the values.
    await new Promise((r) => setTimeout(r, 100));
    expect(cli.output()).toMatch(/modify\s+output_redacted\s+guard=redact/);
    expect(cli.output()).not.toMatch(/maria\.lopez|078-05-1120|4111 1111/);
  } finally {
    cli.child.kill('SIGTERM');
    await cli.exited;
  }
});
