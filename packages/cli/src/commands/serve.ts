/** `bulwark serve`: a guarded HTTP prediction server for an ONNX classifier. */
import { readFileSync } from 'node:fs';

import { defineCommand, intOption, regularFile, UsageError } from '../command.js';
import { decisionLogger } from '../decision-log.js';
import { setupOtel } from '../otel.js';
import { startServer } from '../serve.js';

export const serve = defineCommand({
  name: 'serve',
  summary: 'Serve an ONNX classifier over HTTP behind the guards of a policy.',
  usage: 'bulwark serve --model <file.onnx> [--policy <file>] [--port 8080] [--host 127.0.0.1] [options]',
  details: `Options:
  --model <file>          the ONNX classifier: float32 [batch, d] in, [batch, k] out (required)
  --policy <file>         a JSON or YAML policy (docs/policy.md); none: no guards, any caller
  --model-sha256 <hex>    refuse to start unless the model file has this sha256
  --verify-with <pub>     refuse to start unless the model is signed by this public key (bulwark sign);
                          the signature is <model>.sig, or model.sig in its folder (--signature <file>)
  --allow-external-data   let the model keep tensors in other files of its folder (refused by default)
  --canary                load the model once in a child process first (a native crash stays there)
  --port <n>              port to listen on (default 8080; 0 picks a free one)
  --host <addr>           address to bind (default 127.0.0.1)
  --framework <name>      hono (default) or express: the same HTTP contract on either
  --otlp <url>            export spans and metrics over OTLP/HTTP to <url>/v1/traces, /v1/metrics
  --trace-stdout          print every finished span as one JSON line on stdout
  --service-name <name>   service.name of the telemetry resource (default bulwark)
  --log-decisions         print one line per guard decision other than allow

Environment:
  BULWARK_PRINCIPAL_SECRET  HMAC key for caller hashes; the same on every replica. Required with a
                            shared (redis) store: without it every restart would reset the budgets.

Routes: POST /v1/predict, GET /v1/model, GET /healthz. SIGTERM or SIGINT: in-flight requests
finish, then the process exits 0.`,
  options: {
    model: { type: 'string' },
    policy: { type: 'string' },
    'model-sha256': { type: 'string' },
    'verify-with': { type: 'string' },
    signature: { type: 'string' },
    'allow-external-data': { type: 'boolean', default: false },
    canary: { type: 'boolean', default: false },
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    framework: { type: 'string', default: 'hono' },
    otlp: { type: 'string' },
    'trace-stdout': { type: 'boolean', default: false },
    'service-name': { type: 'string', default: 'bulwark' },
    'log-decisions': { type: 'boolean', default: false },
  },
  positionals: { min: 0, max: 0 },
  async run(values, _positionals, io) {
    if (values.model === undefined) throw new UsageError('--model is required');
    const model = regularFile(values.model, '--model');
    const policy = values.policy === undefined ? undefined : regularFile(values.policy, '--policy');
    const port = intOption(values.port, '--port', 0, 65535) as number;
    if (values.framework !== 'hono' && values.framework !== 'express')
      throw new UsageError(`--framework must be hono or express (received ${values.framework})`);
    if (values['model-sha256'] !== undefined && !/^[0-9a-fA-F]{64}$/.test(values['model-sha256'])) throw new UsageError('--model-sha256 must be 64 hex digits');
    if (values.otlp !== undefined && !/^https?:\/\/\S+$/.test(values.otlp)) throw new UsageError(`--otlp must be an http(s) URL (received ${values.otlp})`);
    const secret = process.env.BULWARK_PRINCIPAL_SECRET;
    const telemetry = setupOtel({ otlp: values.otlp, traceStdout: values['trace-stdout'], serviceName: values['service-name'], log: io.err });
    const running = await startServer({
      model,
      policy,
      port,
      host: values.host,
      framework: values.framework,
      modelSha256: values['model-sha256'],
      verify: {
        verifyWith: values['verify-with'] === undefined ? undefined : readFileSync(regularFile(values['verify-with'], '--verify-with')),
        signaturePath: values.signature === undefined ? undefined : regularFile(values.signature, '--signature'),
        allowExternalData: values['allow-external-data'],
        canary: values.canary,
      },
      principalSecret: secret,
      logger: {
        warn: (message, fields) => io.err(`bulwark: warning${fields?.code === undefined ? '' : ` ${fields.code}`}: ${message}`),
        info: (message) => io.err(`bulwark: ${message}`),
      },
      onDecision: values['log-decisions'] ? decisionLogger(io.out, process.stdout.isTTY === true) : undefined,
      httpSpans: telemetry.enabled,
    }).catch(async (err: unknown) => {
      await telemetry.shutdown();
      throw err;
    });
    const d = running.model.descriptor;
    io.out(
      `bulwark serve: ${d.name} (sha256 ${d.digest.slice(0, 12)}…) on ${running.url} [${values.framework}], guards: ${running.policy.guards?.map((g) => g.name ?? g.use).join(', ') || 'none'}`,
    );
    if (secret === undefined) io.err('bulwark: BULWARK_PRINCIPAL_SECRET is not set; caller hashes are random per process');
    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        io.out(`bulwark serve: ${signal}, finishing in-flight requests`);
        const force = setTimeout(() => running.server.closeAllConnections(), 10_000);
        force.unref();
        void running
          .close()
          .then(telemetry.shutdown)
          .then(() => {
            io.out('bulwark serve: stopped');
            resolve(0);
          });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
  },
});
