/** `bulwark hash-key <key | ->`: the sha256 of an API key, for a policy's `auth.apiKeys`. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defineCommand, UsageError } from '../command.js';

export const hashKey = defineCommand({
  name: 'hash-key',
  summary: "Print the sha256 of an API key, for the policy's auth.apiKeys (policies hold digests, never keys).",
  usage: 'bulwark hash-key <key | ->',
  details: `Arguments:
  <key>   the key; - reads it from stdin (keeps it out of the shell history)

Example:
  echo -n "$KEY" | bulwark hash-key -`,
  options: {},
  positionals: { min: 1, max: 1 },
  async run(_values, [arg], io) {
    const key = arg === '-' ? readFileSync(0, 'utf8').trim() : arg;
    if (!key) throw new UsageError('the key is empty');
    io.out(createHash('sha256').update(key, 'utf8').digest('hex'));
    return 0;
  },
});
