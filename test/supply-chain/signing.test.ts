/**
 * Model signing: verification fails on every single-byte change, every added, removed or renamed
 * file and a wrong key; untouched models always pass. The bundle's format is checked
 * independently of the signer's code (PAE built by hand, node:crypto verify). And the shipped
 * models are signed, and load verified.
 */
import { createHash, createPublicKey, verify as cryptoVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Rng } from '@bulwark/attack-lab';
import { artifactsPath, modelPath, modelsPublicKey } from '@bulwark/models';
import { loadOnnxClassifier } from '@bulwark/onnx';
import { generateKeys, type KeyAlgorithm, privateKeyFrom, publicKeyFrom, signModel, VerificationError, verifyModel } from '@bulwark/supply-chain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matmulModel } from '../helpers/model-corpus.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bulwark-sign-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const keysOf = (algorithm: KeyAlgorithm) => {
  const pem = generateKeys(algorithm);
  const privateKey = privateKeyFrom(pem.privateKey);
  return { pem, privateKey, publicKey: createPublicKey(privateKey) };
};

/** A small model folder: the fraud model, a config, a nested weights file and an empty file. */
function modelFolder(name: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'weights'), { recursive: true });
  cpSync(modelPath('fraud'), join(dir, 'model.onnx'));
  writeFileSync(join(dir, 'config.json'), '{"threshold":0.5}\n');
  writeFileSync(join(dir, 'weights', 'w.bin'), Buffer.from(new Float32Array([1, 2, 3, 4]).buffer));
  writeFileSync(join(dir, 'EMPTY'), '');
  return dir;
}

const problemsOf = (fn: () => unknown): readonly string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof VerificationError) return err.problems;
    throw err;
  }
  return [];
};

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile() && f !== 'model.sig')
    .sort();

describe.each(['ecdsa-p256', 'ed25519'] as const)('signing with %s', (algorithm) => {
  let dir: string;
  let keys: ReturnType<typeof keysOf>;
  beforeAll(() => {
    dir = modelFolder(`folder-${algorithm}`);
    keys = keysOf(algorithm);
    signModel(dir, keys);
  });

  it('an untouched model passes', () => {
    expect(verifyModel(dir, keys.publicKey).resources.map((r) => r.name)).toEqual(['EMPTY', 'config.json', 'model.onnx', 'weights/w.bin']);
  });

  it('every single-byte change of every file fails verification, naming the file', () => {
    let tried = 0;
    for (const name of filesUnder(dir)) {
      const path = join(dir, name);
      const original = readFileSync(path);
      for (let i = 0; i < original.length; i++) {
        const changed = Buffer.from(original);
        changed[i] = (changed[i] as number) ^ 0x01;
        writeFileSync(path, changed);
        expect(
          problemsOf(() => verifyModel(dir, keys.publicKey)),
          `${name} byte ${i}`,
        ).toEqual([`changed: ${name.split('\\').join('/')}`]);
        tried++;
      }
      writeFileSync(path, original);
    }
    expect(tried).toBeGreaterThan(4000);
    expect(problemsOf(() => verifyModel(dir, keys.publicKey))).toEqual([]);
  });

  it('an added, removed or renamed file fails; so does a file grown or emptied', () => {
    const cases: [string, () => void, () => void, string[]][] = [
      ['added', () => writeFileSync(join(dir, 'extra.bin'), 'x'), () => rmSync(join(dir, 'extra.bin')), ['not in the signature: extra.bin']],
      [
        'added hidden',
        () => writeFileSync(join(dir, 'weights', '.hidden'), ''),
        () => rmSync(join(dir, 'weights', '.hidden')),
        ['not in the signature: weights/.hidden'],
      ],
      [
        'removed',
        () => renameSync(join(dir, 'config.json'), join(work, 'config.json.bak')),
        () => renameSync(join(work, 'config.json.bak'), join(dir, 'config.json')),
        ['missing: config.json'],
      ],
      [
        'renamed',
        () => renameSync(join(dir, 'config.json'), join(dir, 'config2.json')),
        () => renameSync(join(dir, 'config2.json'), join(dir, 'config.json')),
        ['missing: config.json', 'not in the signature: config2.json'],
      ],
      [
        'moved into a folder',
        () => renameSync(join(dir, 'EMPTY'), join(dir, 'weights', 'EMPTY')),
        () => renameSync(join(dir, 'weights', 'EMPTY'), join(dir, 'EMPTY')),
        ['missing: EMPTY', 'not in the signature: weights/EMPTY'],
      ],
      ['grown', () => writeFileSync(join(dir, 'EMPTY'), '\n'), () => writeFileSync(join(dir, 'EMPTY'), ''), ['changed: EMPTY']],
    ];
    for (const [what, change, undo, problems] of cases) {
      change();
      expect(
        problemsOf(() => verifyModel(dir, keys.publicKey)),
        what,
      ).toEqual(problems);
      undo();
      expect(
        problemsOf(() => verifyModel(dir, keys.publicKey)),
        `${what} undone`,
      ).toEqual([]);
    }
  });

  it('a wrong key fails, of either algorithm', () => {
    for (const other of ['ecdsa-p256', 'ed25519'] as const) {
      expect(problemsOf(() => verifyModel(dir, keysOf(other).publicKey)).length, other).toBe(1);
    }
  });

  it('a tampered bundle fails: statement edited without re-signing, signature bytes, key hint', () => {
    const sigPath = join(dir, 'model.sig');
    const original = readFileSync(sigPath, 'utf8');
    const bundle = JSON.parse(original);
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    const edits: [string, (b: typeof bundle) => void][] = [
      [
        'a resource digest replaced',
        (b) => {
          statement.predicate.resources[0].digest = 'a'.repeat(64);
          b.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
        },
      ],
      [
        'a signature byte',
        (b) => {
          const s = Buffer.from(b.dsseEnvelope.signatures[0].sig, 'base64');
          s[s.length - 1] = (s[s.length - 1] as number) ^ 1;
          b.dsseEnvelope.signatures[0].sig = s.toString('base64');
        },
      ],
      [
        'the key hint',
        (b) => {
          b.verificationMaterial.publicKey.hint = 'f'.repeat(64);
        },
      ],
      [
        'the payload type',
        (b) => {
          b.dsseEnvelope.payloadType = 'application/json';
        },
      ],
      ['a second signature', (b) => b.dsseEnvelope.signatures.push(b.dsseEnvelope.signatures[0])],
    ];
    for (const [what, edit] of edits) {
      const b = JSON.parse(original);
      edit(b);
      writeFileSync(sigPath, JSON.stringify(b));
      expect(problemsOf(() => verifyModel(dir, keys.publicKey)).length, what).toBe(1);
    }
    writeFileSync(sigPath, 'not json');
    expect(problemsOf(() => verifyModel(dir, keys.publicKey))).toEqual(['the signature is not JSON']);
    rmSync(sigPath);
    expect(problemsOf(() => verifyModel(dir, keys.publicKey))[0]).toMatch(/no signature/);
    writeFileSync(sigPath, original);
    expect(problemsOf(() => verifyModel(dir, keys.publicKey))).toEqual([]);
  });
});

describe('untouched models always pass', () => {
  it('50 random folders (sizes 0 B to 2.5 MiB, across the 1 MiB read chunk; nested; both algorithms) verify', () => {
    const r = new Rng(7);
    for (let t = 0; t < 50; t++) {
      const dir = join(work, `random-${t}`);
      mkdirSync(dir);
      for (let f = 0, n = 1 + r.int(5); f < n; f++) {
        const sub = r.int(3) === 0 ? join(dir, `d${r.int(3)}`) : dir;
        mkdirSync(sub, { recursive: true });
        const size = [0, 1, 1024 * 1024, 1024 * 1024 + 1, 2.5 * 1024 * 1024, r.int(5000)][r.int(6)] as number;
        const bytes = Buffer.alloc(size);
        for (let i = 0; i < size; i += 4096) bytes[i] = r.int(256);
        writeFileSync(join(sub, `f${f}.bin`), bytes);
      }
      const keys = keysOf(t % 2 ? 'ed25519' : 'ecdsa-p256');
      signModel(dir, keys);
      expect(
        problemsOf(() => verifyModel(dir, keys.publicKey)),
        `folder ${t}`,
      ).toEqual([]);
      // A fresh key object from the PEM, as a verifier would have it.
      expect(problemsOf(() => verifyModel(dir, publicKeyFrom(keys.pem.publicKey)))).toEqual([]);
      rmSync(dir, { recursive: true });
    }
  });

  it('a single file is signed beside itself (<file>.sig) and verified the same way', () => {
    const file = join(work, 'single.onnx');
    writeFileSync(file, matmulModel());
    const keys = keysOf('ecdsa-p256');
    expect(signModel(file, keys)).toBe(`${file}.sig`);
    expect(verifyModel(file, keys.publicKey).resources.map((r) => r.name)).toEqual(['single.onnx']);
    const b = readFileSync(file);
    b[10] = (b[10] as number) ^ 0x80;
    writeFileSync(file, b);
    expect(problemsOf(() => verifyModel(file, keys.publicKey))).toEqual(['changed: single.onnx']);
  });
});

describe('the bundle format, checked without the signer', () => {
  // DSSE v1 pre-authentication encoding, written here from the spec:
  // "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths as ASCII decimal byte counts.
  const pae = (type: string, body: Buffer) => Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);

  it.each([
    'ecdsa-p256',
    'ed25519',
  ] as const)('%s: a Sigstore v0.3 bundle, DSSE over an in-toto v1 statement, OpenSSF model-signing v1.0 predicate', (algorithm) => {
    const dir = modelFolder(`format-${algorithm}`);
    const { publicKey, privateKey } = algorithm === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    signModel(dir, { privateKey, publicKey });
    const bundle = JSON.parse(readFileSync(join(dir, 'model.sig'), 'utf8'));
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    const env = bundle.dsseEnvelope;
    expect(env.payloadType).toBe('application/vnd.in-toto+json');
    expect(env.signatures).toHaveLength(1);
    const body = Buffer.from(env.payload, 'base64');
    const sig = Buffer.from(env.signatures[0].sig, 'base64');
    // ECDSA signatures are DER (as Sigstore and the OpenSSF tools write them); Ed25519 is raw.
    expect(cryptoVerify(algorithm === 'ed25519' ? null : 'sha256', pae(env.payloadType, body), publicKey as KeyObject, sig)).toBe(true);
    expect(
      cryptoVerify(algorithm === 'ed25519' ? null : 'sha256', pae(env.payloadType, Buffer.concat([body, Buffer.from(' ')])), publicKey as KeyObject, sig),
    ).toBe(false);
    // The key hint is the sha256 of the public key's PEM (SubjectPublicKeyInfo).
    expect(bundle.verificationMaterial.publicKey.hint).toBe(
      createHash('sha256')
        .update(publicKey.export({ type: 'spki', format: 'pem' }))
        .digest('hex'),
    );

    const st = JSON.parse(body.toString('utf8'));
    expect(st._type).toBe('https://in-toto.io/Statement/v1');
    expect(st.predicateType).toBe('https://model_signing/signature/v1.0');
    expect(st.predicate.serialization).toMatchObject({ method: 'files', hash_type: 'sha256', allow_symlinks: false });
    // Every file's sha256, computed here; names are POSIX paths relative to the folder, sorted.
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => statSync(join(dir, f)).isFile() && f !== 'model.sig')
      .map((f) => relative(dir, join(dir, f)).split('\\').join('/'))
      .sort();
    const digests = files.map((f) =>
      createHash('sha256')
        .update(readFileSync(join(dir, f)))
        .digest('hex'),
    );
    expect(st.predicate.resources).toEqual(files.map((name, i) => ({ name, algorithm: 'sha256', digest: digests[i] })));
    // The subject digest: sha256 over the resources' raw digests in order.
    const root = createHash('sha256');
    for (const d of digests) root.update(Buffer.from(d, 'hex'));
    expect(st.subject).toEqual([{ name: `format-${algorithm}`, digest: { sha256: root.digest('hex') } }]);
  });
});

describe('the shipped models are signed', () => {
  it('artifacts/model.sig verifies every shipped file with keys/bulwark-models.pub', () => {
    const names = verifyModel(artifactsPath(), publicKeyFrom(modelsPublicKey())).resources.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['fraud.onnx', 'digits.onnx', 'leaky.onnx', 'fraud-hardened.onnx', 'manifest.json']));
  });

  it('loadOnnxClassifier with verifyWith loads them; a changed sibling file, an unsigned copy or another key is refused', async () => {
    const model = await loadOnnxClassifier(modelPath('fraud'), { verifyWith: modelsPublicKey() });
    expect((await model.predict([[120, 3, 0.4, 12, 1, 0, 0, 400]]))[0]?.label).toBeTypeOf('number');
    await model.close();

    const copy = join(work, 'artifacts-copy');
    cpSync(artifactsPath(), copy, { recursive: true });
    const refusedWith = (options: object, file = join(copy, 'fraud.onnx')) =>
      loadOnnxClassifier(file, options).then(
        async (m) => {
          await m.close();
          return 'loaded';
        },
        (e: { code: string; message: string }) => `${e.code}: ${e.message}`,
      );
    expect(await refusedWith({ verifyWith: modelsPublicKey() })).toBe('loaded');
    const manifest = join(copy, 'manifest.json');
    writeFileSync(manifest, `${readFileSync(manifest, 'utf8')} `);
    expect(await refusedWith({ verifyWith: modelsPublicKey() })).toBe('model_rejected: changed: manifest.json');
    cpSync(artifactsPath(), copy, { recursive: true });
    expect(await refusedWith({ verifyWith: generateKeys().publicKey })).toMatch(/^model_rejected: signed with another key/);
    rmSync(join(copy, 'model.sig'));
    expect(await refusedWith({ verifyWith: modelsPublicKey() })).toBe('model_rejected: the model is not signed (no model.sig)');
  });

  it('a signature kept elsewhere (signaturePath) covers what it signed: the model folder, or the file alone', async () => {
    const copy = join(work, 'elsewhere-model');
    cpSync(artifactsPath(), copy, { recursive: true });
    mkdirSync(join(work, 'sigs'));
    const sig = join(work, 'sigs', 'models.sig');
    renameSync(join(copy, 'model.sig'), sig);
    const load = (options: object) =>
      loadOnnxClassifier(join(copy, 'fraud.onnx'), options).then(
        async (m) => {
          await m.close();
          return 'loaded';
        },
        (e: Error) => e.message,
      );
    expect(await load({ verifyWith: modelsPublicKey(), signaturePath: sig })).toBe('loaded');
    writeFileSync(join(copy, 'extra.txt'), 'x');
    expect(await load({ verifyWith: modelsPublicKey(), signaturePath: sig })).toBe('not in the signature: extra.txt');
    // A single-file signature at a custom path: the file alone is covered.
    const keys = keysOf('ed25519');
    const single = join(work, 'sigs', 'fraud-only.sig');
    signModel(join(copy, 'fraud.onnx'), keys, single);
    expect(await load({ verifyWith: keys.publicKey, signaturePath: single })).toBe('loaded');
    expect(await load({ verifyWith: keys.publicKey, signaturePath: sig })).toBe('signed with another key (the key hint does not match)');
  });

  it('external data under a single-file signature must be in the manifest', async () => {
    const dir = join(work, 'ext-signed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'weights.bin'), Buffer.from(new Float32Array([1, 0, 0, 1, 1, 0, 0, 1]).buffer));
    writeFileSync(join(dir, 'model.onnx'), matmulModel({ external: { location: 'weights.bin' } }));
    const keys = keysOf('ecdsa-p256');
    signModel(join(dir, 'model.onnx'), keys); // signs model.onnx only
    const err = await loadOnnxClassifier(join(dir, 'model.onnx'), { verifyWith: keys.publicKey, allowExternalData: true }).then(
      () => 'loaded',
      (e: Error) => e.message,
    );
    expect(err).toBe('external data weights.bin is not in the signed manifest');
    // Signed as a folder, the weights are covered; then changing them is refused.
    rmSync(join(dir, 'model.onnx.sig'));
    signModel(dir, keys);
    const ok = await loadOnnxClassifier(join(dir, 'model.onnx'), { verifyWith: keys.publicKey, allowExternalData: true, scores: 'logits' });
    await ok.close();
    writeFileSync(join(dir, 'weights.bin'), Buffer.from(new Float32Array([9, 0, 0, 9, 9, 0, 0, 9]).buffer));
    const changed = await loadOnnxClassifier(join(dir, 'model.onnx'), { verifyWith: keys.publicKey, allowExternalData: true }).then(
      () => 'loaded',
      (e: Error) => e.message,
    );
    expect(changed).toBe('changed: weights.bin');
  });
});
