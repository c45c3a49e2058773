/**
 * The `bulwark` command line as Node users expect it: help for every command, a version, usage
 * errors that name the problem and print that command's usage only, and documented exit codes
 * (0 ok, 1 runtime failure or crossed gate, 2 usage error). Real processes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { modelPath } from '@bulwark/models';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';

const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
const COMMANDS = ['serve', 'attack', 'profile', 'validate', 'lineage', 'scan', 'sign', 'verify', 'keygen', 'hash-key', 'redact'];

describe('bulwark CLI', () => {
  it.each(COMMANDS.map((c) => [c, c]))("bulwark %s --help and bulwark help %s print that command's help and exit 0", (c) => {
    for (const r of [run(c, '--help'), run(c, '-h'), run('help', c)]) {
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`Usage: bulwark ${c}`);
      expect(r.stderr).toBe('');
    }
  });

  it('prints the version, the overview, and exit 2 with the overview when called with nothing', () => {
    const version = JSON.parse(readFileSync(new URL('../../packages/cli/package.json', import.meta.url), 'utf8')).version;
    expect(run('--version')).toMatchObject({ status: 0, stdout: `${version}\n` });
    expect(run('-v').stdout.trim()).toBe(version);
    const help = run('--help');
    expect(help.status).toBe(0);
    for (const c of COMMANDS) expect(help.stdout).toContain(`  ${c}`);
    expect(run().status).toBe(2);
  });

  it("names the problem of a usage error and prints only that command's usage, exit 2", () => {
    const r = run('serve', '--model', modelPath('fraud'), '--port', 'eighty');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('bulwark serve: --port must be an integer 0-65535 (received eighty)');
    expect(r.stderr).toContain('Usage: bulwark serve');
    expect(r.stderr).not.toContain('bulwark attack');
    const unknown = run('serve', '--modle', 'x');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/bulwark serve: Unknown option '--modle'/);
    expect(run('frobnicate')).toMatchObject({ status: 2, stderr: expect.stringContaining('unknown command "frobnicate"') });
    expect(run('attack', 'everything')).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('attack needs one of extraction, membership, evasion, averaging, all (received everything)'),
    });
    expect(run('help', 'nothing').status).toBe(2);
  });

  it('hash-key: --help is help, not a key; extra arguments are errors', () => {
    expect(run('hash-key', '--help').stdout).toContain('Usage: bulwark hash-key');
    const extra = run('hash-key', 'a', 'b');
    expect(extra.status).toBe(2);
    expect(extra.stderr).toContain('unexpected argument: b');
    expect(run('hash-key').status).toBe(2);
    expect(run('hash-key', 'abc').stdout.trim()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const stdin = spawnSync(process.execPath, [BIN, 'hash-key', '-'], { input: 'abc\n', encoding: 'utf8' });
    expect(stdin.stdout.trim()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('names a missing or special file by its path, never a raw ENOENT, and never reads /dev/zero', () => {
    const missing = run('serve', '--model', '/no/such/model.onnx');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('bulwark serve: --model: no such file: /no/such/model.onnx');
    expect(missing.stderr).not.toContain('ENOENT');
    const policy = run('serve', '--model', modelPath('fraud'), '--policy', '/no/such/policy.yaml');
    expect(policy.stderr).toContain('--policy: no such file: /no/such/policy.yaml');
    for (const flag of ['--model', '--policy']) {
      const special = run('serve', '--model', modelPath('fraud'), flag, '/dev/zero');
      expect(special.status).toBe(2);
      expect(special.stderr).toContain(`${flag}: not a regular file: /dev/zero`);
    }
    expect(run('attack', 'extraction', '--gates', '/no/gates.yaml').stderr).toContain('--gates: no such file: /no/gates.yaml');
  });

  it('a runtime failure exits 1 (a model whose digest does not match)', () => {
    const r = run('serve', '--model', modelPath('fraud'), '--model-sha256', '0'.repeat(64), '--port', '0');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('digest mismatch');
  });

  it('pnpm bulwark serve stops when pnpm is sent SIGTERM (the server does not outlive it)', async () => {
    const root = new URL('../..', import.meta.url).pathname;
    const child = spawn('pnpm', ['--silent', 'bulwark', 'serve', '--model', modelPath('fraud'), '--port', '0'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 30_000);
      child.stdout.on('data', () => {
        const m = /on (http:\/\/\S+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    // The server finished and is gone: nothing answers on its port.
    for (let i = 0; i < 50; i++) {
      const alive = await fetch(`${url}/healthz`).then(
        () => true,
        () => false,
      );
      if (!alive) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
