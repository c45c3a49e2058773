import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileFile } from '@bulwark/core';
import { generateKeys, IN_TOTO_PAYLOAD_TYPE, pae, privateKeyFrom, publicKeyFrom, signBytes, VerificationError } from '@bulwark/supply-chain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLineage, LineageError, openLineage, predicateDigest, verifyLineage } from './lineage.js';

const pem = generateKeys('ecdsa-p256');
const keys = { privateKey: privateKeyFrom(pem.privateKey), publicKey: publicKeyFrom(pem.publicKey) };
const other = publicKeyFrom(generateKeys('ecdsa-p256').publicKey);
let dir: string;

const csv = (seed: number) => `a,b,label\n${Array.from({ length: 80 }, (_, i) => `${(i * 7 + seed) % 13},${(i * 3 + seed) % 5},${i % 2}`).join('\n')}\n`;
async function write(path: string, bundle: unknown) {
  writeFileSync(path, `${JSON.stringify(bundle, null, 2)}\n`);
}
/** Flips one byte of a file, runs `f`, restores it. */
async function withByteChanged(path: string, f: () => Promise<void>) {
  const original = readFileSync(path);
  const changed = Buffer.from(original);
  changed[changed.length - 2] = (changed[changed.length - 2] as number) ^ 1;
  writeFileSync(path, changed);
  try {
    await f();
  } finally {
    writeFileSync(path, original);
  }
}
const problems = async (path: string, key = keys.publicKey): Promise<string[]> => {
  try {
    await verifyLineage(path, key);
    return [];
  } catch (err) {
    if (err instanceof VerificationError) return [...err.problems];
    throw err;
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bulwark-lineage-'));
  mkdirSync(join(dir, 'v1'));
  writeFileSync(join(dir, 'v1/train.csv'), csv(1));
  writeFileSync(join(dir, 'v1/profile.json'), JSON.stringify(await profileFile(join(dir, 'v1/train.csv'))));
  writeFileSync(join(dir, 'v1/model.onnx'), Buffer.from('not really a model, but bytes to pin'));
  await write(
    join(dir, 'v1/lineage.json'),
    await createLineage(join(dir, 'v1/lineage.json'), [join(dir, 'v1/train.csv')], keys, {
      name: 'fraud-v1',
      profile: join(dir, 'v1/profile.json'),
      models: [join(dir, 'v1/model.onnx')],
      transform: 'exported from the warehouse, 2026-11-27',
    }),
  );
  // v2: derived from v1 (rows filtered), in a folder beside it.
  mkdirSync(join(dir, 'v2'));
  writeFileSync(join(dir, 'v2/train.csv'), csv(2));
  await write(
    join(dir, 'v2/lineage.json'),
    await createLineage(join(dir, 'v2/lineage.json'), [join(dir, 'v2/train.csv')], keys, {
      name: 'fraud-v2',
      parent: join(dir, 'v1/lineage.json'),
      transform: 'dedupe.py --drop-conflicting',
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dataset lineage', () => {
  it('signs a version (files with sha256, bytes and rows; profile; models; transform) and verifies it', async () => {
    const st = await verifyLineage(join(dir, 'v1/lineage.json'), keys.publicKey);
    expect(st.name).toBe('fraud-v1');
    expect(st.predicate.files).toEqual([expect.objectContaining({ name: 'train.csv', rows: 80, bytes: csv(1).length })]);
    expect(st.predicate.profile?.name).toBe('profile.json');
    expect(st.predicate.models.map((m) => m.name)).toEqual(['model.onnx']);
  });

  it('fails when one byte of the data, the profile or the model changes', async () => {
    for (const [file, what] of [
      ['v1/train.csv', 'data file changed: train.csv'],
      ['v1/profile.json', 'profile changed: profile.json'],
      ['v1/model.onnx', 'model changed: model.onnx'],
    ] as const) {
      await withByteChanged(join(dir, file), async () => {
        expect((await problems(join(dir, 'v1/lineage.json'))).join('\n')).toContain(what);
      });
    }
    expect(await problems(join(dir, 'v1/lineage.json'))).toEqual([]);
  });

  it('verifies a chain link by link: a change in the parent fails the child', async () => {
    const st = await verifyLineage(join(dir, 'v2/lineage.json'), keys.publicKey);
    expect(st.predicate.parent?.name).toBe('../v1/lineage.json');
    await withByteChanged(join(dir, 'v1/model.onnx'), async () => {
      expect((await problems(join(dir, 'v2/lineage.json'))).join('\n')).toContain('fraud-v1: model changed');
    });
    // A parent manifest replaced by another validly signed one is not the parent the child named.
    const original = readFileSync(join(dir, 'v1/lineage.json'));
    await write(join(dir, 'v1/lineage.json'), await createLineage(join(dir, 'v1/lineage.json'), [join(dir, 'v1/train.csv')], keys, { name: 'fraud-v1' }));
    try {
      expect((await problems(join(dir, 'v2/lineage.json'))).join('\n')).toMatch(/is not the version this was derived from/);
    } finally {
      writeFileSync(join(dir, 'v1/lineage.json'), original);
    }
  });

  it('refuses another key, an edited manifest, a profile of other data, and paths outside the folder', async () => {
    expect((await problems(join(dir, 'v1/lineage.json'), other)).join('\n')).toMatch(/another key/);
    const bundle = JSON.parse(readFileSync(join(dir, 'v1/lineage.json'), 'utf8'));
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    statement.predicate.files[0].rows = 81;
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    expect(() => openLineage(JSON.stringify(bundle), keys.publicKey)).toThrow(/does not verify/);
    await expect(createLineage(join(dir, 'v2/x.json'), [join(dir, 'v2/train.csv')], keys, { profile: join(dir, 'v1/profile.json') })).rejects.toThrow(
      LineageError,
    );
    // A signed manifest naming an absolute path is refused before anything is read.
    const abs = JSON.parse(readFileSync(join(dir, 'v1/lineage.json'), 'utf8'));
    const st = JSON.parse(Buffer.from(abs.dsseEnvelope.payload, 'base64').toString('utf8'));
    st.predicate.files[0].name = '/etc/hostname';
    st.subject[0].digest.sha256 = predicateDigest(st.predicate);
    const payload = Buffer.from(JSON.stringify(st));
    abs.dsseEnvelope.payload = payload.toString('base64');
    abs.dsseEnvelope.signatures[0].sig = signBytes(pae(IN_TOTO_PAYLOAD_TYPE, payload), keys.privateKey).toString('base64');
    writeFileSync(join(dir, 'v1/abs.json'), JSON.stringify(abs));
    await expect(verifyLineage(join(dir, 'v1/abs.json'), keys.publicKey)).rejects.toThrow(/not relative to its folder/);
  });
});
