/**
 * The `bulwark` command line.
 *
 *   bulwark serve --model m.onnx [--policy policy.yaml] [--port 8080] [--host 127.0.0.1]
 *                 [--framework hono|express] [--otlp http://127.0.0.1:4318] [--trace-stdout]
 *                 [--log-decisions] [--model-sha256 <hex>]
 *   bulwark attack <extraction|membership|evasion|all> [...]   attack reports and CI gates
 *   bulwark hash-key <key | ->     sha256 of an API key, for the policy's auth.apiKeys
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, isBulwarkError } from '@bulwark/core';
import { ATTACK_USAGE, attackCommand, UsageError } from './attack/command.js';
import { decisionLogger } from './decision-log.js';
import { setupOtel } from './otel.js';
import { startServer } from './serve.js';

const USAGE = `Usage:
  bulwark serve --model <file.onnx> [--policy <policy.yaml|json>] [--port 8080] [--host 127.0.0.1]
                [--framework hono|express] [--otlp <url>] [--trace-stdout] [--log-decisions]
                [--model-sha256 <hex>]
${ATTACK_USAGE}
  bulwark hash-key <key | ->      print the sha256 of an API key (- reads it from stdin)

Environment: BULWARK_PRINCIPAL_SECRET  HMAC key for caller hashes; share it across replicas.`;

function fail(message: string): never {
  process.stderr.write(`bulwark: ${message}\n`);
  process.exit(2);
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      policy: { type: 'string' },
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      framework: { type: 'string', default: 'hono' },
      otlp: { type: 'string' },
      'trace-stdout': { type: 'boolean', default: false },
      'log-decisions': { type: 'boolean', default: false },
      'model-sha256': { type: 'string' },
    },
    strict: true,
  });
  if (!values.model) fail(`serve needs --model\n${USAGE}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be an integer 0-65535 (received ${values.port})`);
  if (values.framework !== 'hono' && values.framework !== 'express') fail(`--framework must be hono or express (received ${values.framework})`);
  const secret = process.env.BULWARK_PRINCIPAL_SECRET;
  const shutdownOtel = setupOtel({ otlp: values.otlp, traceStdout: values['trace-stdout'] });
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const running = await startServer({
    model: values.model,
    policy: values.policy,
    port,
    host: values.host,
    framework: values.framework,
    modelSha256: values['model-sha256'],
    principalSecret: secret,
    logger: {
      warn: (message, fields) => process.stderr.write(`bulwark: warning${fields?.code === undefined ? '' : ` ${fields.code}`}: ${message}\n`),
      info: (message) => process.stderr.write(`bulwark: ${message}\n`),
    },
    onDecision: values['log-decisions'] ? decisionLogger(log, process.stdout.isTTY === true) : undefined,
  });
  const d = running.model.descriptor;
  log(
    `bulwark serve: ${d.name} (sha256 ${d.digest.slice(0, 12)}…) on ${running.url} [${values.framework}], guards: ${running.policy.guards?.map((g) => g.use).join(', ') || 'none'}`,
  );
  if (secret === undefined) process.stderr.write('bulwark: BULWARK_PRINCIPAL_SECRET is not set; caller hashes are random per process\n');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`bulwark serve: ${signal}, finishing in-flight requests`);
    const force = setTimeout(() => running.server.closeAllConnections(), 10_000);
    force.unref();
    void running
      .close()
      .then(shutdownOtel)
      .then(() => {
        log('bulwark serve: stopped');
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function hashKey(argv: string[]): void {
  const key = argv[0] === '-' ? readFileSync(0, 'utf8').trim() : argv[0];
  if (!key) fail('hash-key needs a key (or - to read it from stdin)');
  process.stdout.write(`${createHash('sha256').update(key, 'utf8').digest('hex')}\n`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'hash-key':
      return hashKey(rest);
    case 'attack':
      process.exitCode = await attackCommand(rest, (line) => process.stdout.write(`${line}\n`));
      return;
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      fail(`unknown command "${command}"\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof UsageError) fail(err.message);
  if (isBulwarkError(err)) fail(`${err.code}: ${err.message}`);
  if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) fail(`${err.message}\n${USAGE}`);
  fail(err instanceof Error ? err.message : String(err));
});
