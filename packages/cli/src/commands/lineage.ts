/** `bulwark lineage <data files…> --key <private.key> --out <lineage.json>`: a signed manifest of a dataset version. */
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createLineage, LineageError } from '@bulwark/data';
import { KeyError, privateKeyFrom, VerificationError } from '@bulwark/supply-chain';
import { defineCommand, regularFile, UsageError } from '../command.js';
import { version } from '../version.js';

export const lineage = defineCommand({
  name: 'lineage',
  summary: 'Sign the lineage of a dataset version: its files, profile, models, parent version and transform.',
  usage:
    'bulwark lineage <data files…> --key <private.key> --out <lineage.json> [--name <version>] [--profile <profile.json>] [--model <file>]… [--parent <lineage.json>] [--transform <text>]',
  details: `Arguments:
  <data files…>          the version's data (CSV or JSON Lines): sha256, bytes and rows are recorded

Options:
  --key <file>           the PEM private key (bulwark keygen); the same keys as model signing
  --out <file>           where to write the manifest; every path in it is relative to its folder
  --name <version>       the version's name (default: the first file's path)
  --profile <file>       the profile computed from one of the files (refused if it was not)
  --model <file>         a model trained on this version (repeat for several)
  --parent <file>        the lineage manifest of the version this one was derived from (verified first)
  --transform <text>     how it was derived (a command, a script and its version)

Verify with: bulwark verify --lineage <lineage.json> --key <public.pub>. See docs/data.md.`,
  options: {
    key: { type: 'string' },
    out: { type: 'string' },
    name: { type: 'string' },
    profile: { type: 'string' },
    model: { type: 'string', multiple: true },
    parent: { type: 'string' },
    transform: { type: 'string' },
  },
  positionals: { min: 1, max: 1000 },
  async run(values, files, io) {
    if (!values.key) throw new UsageError('--key is required: the private key to sign with');
    if (!values.out) throw new UsageError('--out is required: where to write the manifest');
    if (existsSync(values.out)) throw new UsageError(`${values.out} exists: not overwritten`);
    let privateKey: ReturnType<typeof privateKeyFrom>;
    try {
      privateKey = privateKeyFrom(readFileSync(regularFile(values.key, '--key')));
    } catch (err) {
      if (err instanceof KeyError) throw new UsageError(`--key: ${err.message}`);
      throw err;
    }
    const data = files.map((f) => regularFile(f, '<data>'));
    const models = (values.model ?? []).map((m) => regularFile(m, '--model'));
    try {
      const bundle = await createLineage(
        values.out,
        data,
        { privateKey, publicKey: createPublicKey(privateKey) },
        {
          name: values.name,
          profile: values.profile === undefined ? undefined : regularFile(values.profile, '--profile'),
          models,
          parent: values.parent === undefined ? undefined : regularFile(values.parent, '--parent'),
          transform: values.transform,
          tool: `@bulwark/cli ${version()}`,
        },
      );
      writeFileSync(values.out, `${JSON.stringify(bundle, null, 2)}\n`);
    } catch (err) {
      if (err instanceof LineageError) throw new UsageError(err.message);
      if (err instanceof VerificationError) throw new UsageError(`--parent ${values.parent}: ${err.problems.join('; ')}`);
      throw err;
    }
    io.out(`signed the lineage of ${values.name ?? files[0]}: ${values.out}`);
    return 0;
  },
});
