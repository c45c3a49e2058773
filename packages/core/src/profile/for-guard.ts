/** Loading a guard's `profile` option: a path (relative to the policy file) or a profile object. */
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { GuardFactoryContext } from '../guards/define.js';
import { s } from '../policy/schema.js';
import { loadProfile } from './file.js';
import type { DataProfile } from './profile.js';

/** The `profile` option of the guards that read one: a path (relative to the policy file) or, in code, the profile object. */
export const profileOption = s.doc(
  s.union(
    s.string({ maxLength: 4096 }),
    s.custom((v): v is DataProfile => typeof v === 'object' && v !== null, 'a profile object'),
    'a path or a profile object',
  ),
  'the data profile written by bulwark profile (path relative to the policy file)',
);

/** The profile a guard names, checked against the model's input width when the model is known. */
export function profileFor(option: string | DataProfile, context: GuardFactoryContext, guard: string): DataProfile {
  const subject = `${guard} profile`;
  const profile =
    typeof option === 'string' ? loadProfile(isAbsolute(option) ? option : resolve(context.baseDir, option), subject) : loadProfile(option, subject);
  const d = context.model?.features;
  if (d !== undefined && d !== profile.features.length)
    throw new ConfigError(
      [{ code: 'model_mismatch', path: 'profile', rule: `must describe the model's ${d} input features`, received: `${profile.features.length} features` }],
      `${guard} options`,
    );
  return profile;
}

/** Checks that every call's input is rows of `d` numbers; the problem as a deny verdict's parts, or undefined. */
export function rowsProblem(input: unknown, d: number): { message: string; path: string } | undefined {
  if (!Array.isArray(input)) return { message: 'inputs must be rows of numbers', path: 'inputs' };
  for (let i = 0; i < input.length; i++) {
    const row = input[i] as ArrayLike<number> | undefined;
    if (row === null || typeof row !== 'object' || row.length !== d) return { message: `row ${i} must have ${d} features`, path: `inputs[${i}]` };
  }
  return undefined;
}
