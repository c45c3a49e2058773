/**
 * A real three-master Redis Cluster on loopback, for the RedisStore's cluster test: three
 * `redis-server --cluster-enabled yes` processes (no persistence, files in a temp dir), joined with
 * `redis-cli --cluster create`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../setup/global.js';

const run = promisify(execFile);

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.end();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface LocalCluster {
  readonly ports: number[];
  stop(): Promise<void>;
}

/**
 * One cluster node on a free port, up and accepting. A free port can be taken by another test
 * process between `freePort` and the node's bind (the suite runs files in parallel): then the node
 * exits, and it is started again on another port, up to five times.
 */
async function startNode(dir: string): Promise<{ port: number; node: ChildProcess }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const node = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    let exited = false;
    node.once('exit', () => {
      exited = true;
    });
    // Up to 20 s: on a loaded 2-core machine a node can take seconds to accept.
    for (let i = 0; i < 400 && !exited; i++) {
      if (await accepts(port)) return { port, node };
      await new Promise((r) => setTimeout(r, 50));
    }
    node.kill('SIGKILL');
  }
  throw new Error('could not start a Redis cluster node (5 attempts)');
}

export async function startCluster(masters = 3): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const ports: number[] = [];
  const nodes: ChildProcess[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      const { port, node } = await startNode(dir);
      ports.push(port);
      nodes.push(node);
    }
  } catch (err) {
    for (const n of nodes) n.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
  // Wait until every node reports the cluster as ok.
  for (const p of ports) {
    for (let i = 0; i < 100; i++) {
      const { stdout } = await run('redis-cli', ['-p', String(p), 'cluster', 'info']);
      if (stdout.includes('cluster_state:ok')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    ports,
    async stop() {
      for (const n of nodes) n.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
