/**
 * `pnpm models:sign`: signs the shipped models (packages/models/artifacts, every file) in the
 * OpenSSF model-signing format with a fresh ECDSA P-256 key, writes the public key to
 * packages/models/keys/bulwark-models.pub and never writes the private key anywhere: it lives in
 * this process's memory only. Run it after regenerating the models (`pnpm models`), then commit
 * the bundle and the public key together. A release pipeline would sign with a kept key (or
 * Sigstore keyless) instead; see docs/supply-chain.md.
 */
import { createPublicKey } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeys, privateKeyFrom, publicKeyFrom, signModel, verifyModel } from '@bulwark/supply-chain';

const models = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'models');
const keys = generateKeys('ecdsa-p256');
const privateKey = privateKeyFrom(keys.privateKey);
const publicKey = createPublicKey(privateKey);
const bundle = signModel(join(models, 'artifacts'), { privateKey, publicKey });
mkdirSync(join(models, 'keys'), { recursive: true });
writeFileSync(join(models, 'keys', 'bulwark-models.pub'), keys.publicKey);
const manifest = verifyModel(join(models, 'artifacts'), publicKeyFrom(keys.publicKey));
process.stdout.write(
  `signed ${manifest.resources.length} files: ${bundle}\npublic key: packages/models/keys/bulwark-models.pub (the private key was not saved)\n`,
);
