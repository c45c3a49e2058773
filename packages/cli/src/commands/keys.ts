/** `bulwark keygen`, `bulwark sign`, `bulwark verify`: OpenSSF model signing with your own keys (and dataset lineage chains). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { verifyLineageChain } from '@bulwark/data';
import { defaultSignaturePath, generateKeys, KeyError, privateKeyFrom, publicKeyFrom, signModel, VerificationError, verifyModel } from '@bulwark/supply-chain';
import { defineCommand, regularFile, UsageError } from '../command.js';

export const keygen = defineCommand({
  name: 'keygen',
  summary: 'Generate a signing key pair (ECDSA P-256 by default, or Ed25519) as PEM files.',
  usage: 'bulwark keygen --out <prefix> [--algorithm ecdsa-p256|ed25519]',
  details: `Options:
  --out <prefix>         writes <prefix>.key (private, mode 600) and <prefix>.pub (public)
  --algorithm <a>        ecdsa-p256 (default: what the OpenSSF model-signing tools verify) or ed25519

Keep the private key out of the repository and the model folder; give verifiers the .pub.`,
  options: { out: { type: 'string' }, algorithm: { type: 'string', default: 'ecdsa-p256' } },
  positionals: { min: 0, max: 0 },
  async run(values, _p, io) {
    if (!values.out) throw new UsageError('--out is required');
    if (values.algorithm !== 'ecdsa-p256' && values.algorithm !== 'ed25519')
      throw new UsageError(`--algorithm must be ecdsa-p256 or ed25519 (received ${values.algorithm})`);
    for (const f of [`${values.out}.key`, `${values.out}.pub`]) if (existsSync(f)) throw new UsageError(`${f} exists: not overwritten`);
    const keys = generateKeys(values.algorithm);
    writeFileSync(`${values.out}.key`, keys.privateKey, { mode: 0o600 });
    writeFileSync(`${values.out}.pub`, keys.publicKey);
    io.out(`wrote ${values.out}.key (private) and ${values.out}.pub (public), ${values.algorithm}`);
    return 0;
  },
});

export const sign = defineCommand({
  name: 'sign',
  summary: "Sign a model file or folder: a manifest of every file's sha256 in an OpenSSF model-signing bundle.",
  usage: 'bulwark sign <model file|dir> --key <private.key> [--signature <file>]',
  details: `Arguments:
  <model file|dir>       a folder signs every file under it (no symlinks); a file signs that file

Options:
  --key <file>           the PEM private key (bulwark keygen)
  --signature <file>     where to write the bundle (default: model.sig in the folder, <file>.sig beside a file)

The bundle is a Sigstore bundle (v0.3) holding a DSSE envelope over an in-toto statement
(predicate https://model_signing/signature/v1.0): other OpenSSF model-signing tools read it.`,
  options: { key: { type: 'string' }, signature: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run(values, [model], io) {
    if (!values.key) throw new UsageError('--key is required');
    const pem = readFileSync(regularFile(values.key, '--key'));
    if (!existsSync(model as string)) throw new UsageError(`no such file or folder: ${model}`);
    let privateKey: ReturnType<typeof privateKeyFrom>;
    try {
      privateKey = privateKeyFrom(pem);
    } catch (err) {
      if (err instanceof KeyError) throw new UsageError(`--key: ${err.message}`);
      throw err;
    }
    const { createPublicKey } = await import('node:crypto');
    const path = signModel(model as string, { privateKey, publicKey: createPublicKey(privateKey) }, values.signature ?? defaultSignaturePath(model as string));
    io.out(`signed ${model}: ${path}`);
    return 0;
  },
});

export const verify = defineCommand({
  name: 'verify',
  summary: 'Verify a signed model (the signature, and every file against it), or a signed dataset lineage chain.',
  usage: 'bulwark verify <model file|dir> --key <public.pub> [--signature <file>] | bulwark verify --lineage <lineage.json> --key <public.pub>',
  details: `Options:
  --key <file>           the PEM public key of the signer
  --signature <file>     the bundle (default: model.sig in the folder, <file>.sig beside a file)
  --lineage <file>       verify a dataset lineage manifest (bulwark lineage) instead of a model: its
                         signature, every data file, the profile and the models against their sha256,
                         the profile against the data, and every parent version in turn

Exit codes: 0 verified, 1 verification failed (each problem is named), 2 usage error.`,
  options: { key: { type: 'string' }, signature: { type: 'string' }, lineage: { type: 'string' } },
  positionals: { min: 0, max: 1 },
  async run(values, [model], io) {
    if (!values.key) throw new UsageError('--key is required');
    if ((model === undefined) === (values.lineage === undefined)) throw new UsageError('name a model, or a lineage manifest with --lineage (one of them)');
    const target = (values.lineage === undefined ? model : regularFile(values.lineage, '--lineage')) as string;
    if (!existsSync(target)) throw new UsageError(`no such file or folder: ${target}`);
    let publicKey: ReturnType<typeof publicKeyFrom>;
    try {
      publicKey = publicKeyFrom(readFileSync(regularFile(values.key, '--key')));
    } catch (err) {
      if (err instanceof KeyError) throw new UsageError(`--key: ${err.message}`);
      throw err;
    }
    if (values.lineage !== undefined) {
      try {
        const chain = (await verifyLineageChain(target, publicKey)).map((st) => st.name);
        io.out(`verified ${target}: ${chain.join(' ← ')} (data, profile and models match their signatures)`);
        return 0;
      } catch (err) {
        if (!(err instanceof VerificationError)) throw err;
        io.err(`bulwark verify: ${target} failed verification:`);
        for (const p of err.problems) io.err(`  - ${p}`);
        return 1;
      }
    }
    try {
      const m = verifyModel(model as string, publicKey, values.signature ?? defaultSignaturePath(model as string));
      io.out(`verified ${model}: ${m.resources.length} files match the signature`);
      return 0;
    } catch (err) {
      if (!(err instanceof VerificationError)) throw err;
      io.err(`bulwark verify: ${model} failed verification:`);
      for (const p of err.problems) io.err(`  - ${p}`);
      return 1;
    }
  },
});
