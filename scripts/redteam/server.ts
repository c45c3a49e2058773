/**
 * A `bulwark serve` in its own process for the red-team scenarios: the policy comes as JSON in
 * argv[2], the framework in argv[3]. Prints its URL.
 */
import { startServer } from '@bulwark/cli';
import { modelPath } from '@bulwark/models';

const policy = JSON.parse(process.argv[2] ?? '{"version":1}') as object;
const framework = (process.argv[3] ?? 'hono') as 'hono' | 'express';
const s = await startServer({ model: modelPath('fraud'), policy, port: 0, framework, principalSecret: 'redteam-secret-0123456789abcdef' });
process.stdout.write(`${s.url}\n`);
process.on('SIGTERM', () => void s.close().then(() => process.exit(0)));
