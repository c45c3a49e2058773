/**
 * Plugins: modules of guard definitions a policy loads (`plugins: ["./my-guards.mjs"]`), so user
 * guards run under `bulwark serve` and are validated like the built-ins.
 *
 * Trust: a plugin is code, run with the server's privileges. The policy file that names it is
 * trusted configuration (whoever can edit it can already turn every guard off), so a plugin is as
 * trusted as the policy. Paths are resolved against the policy file's directory (never the working
 * directory) and must be regular files; bare package names are not resolved (which copy of a
 * package they meant would depend on where the server was started).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, type ConfigIssueInput } from '../errors.js';
import { type GuardDefinition, isGuardDefinition } from '../guards/define.js';

/** Imports each plugin and returns the guard definitions it exports (default export: one or a list; named exports). */
export async function loadPlugins(paths: readonly string[], baseDir: string, source: string): Promise<GuardDefinition[]> {
  const issues: ConfigIssueInput[] = [];
  const out: GuardDefinition[] = [];
  for (const [i, p] of paths.entries()) {
    const path = `plugins[${i}]`;
    const file = resolve(baseDir, p);
    try {
      if (!statSync(file).isFile()) {
        issues.push({ code: 'invalid_plugin', path, rule: 'must be a regular file', received: JSON.stringify(p) });
        continue;
      }
    } catch {
      issues.push({ code: 'invalid_plugin', path, rule: 'file does not exist (resolved against the policy file)', received: JSON.stringify(p) });
      continue;
    }
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (err) {
      issues.push({
        code: 'invalid_plugin',
        path,
        rule: `cannot be imported: ${String((err as Error)?.message ?? err)
          .split('\n')[0]
          ?.slice(0, 200)}`,
        received: JSON.stringify(p),
      });
      continue;
    }
    const found = new Set<GuardDefinition>();
    for (const [name, value] of Object.entries(mod)) {
      const list = name === 'default' && Array.isArray(value) ? value : [value];
      for (const v of list) if (isGuardDefinition(v)) found.add(v);
    }
    if (found.size === 0)
      issues.push({ code: 'invalid_plugin', path, rule: 'exports no guard definition (made with defineGuard)', received: JSON.stringify(p) });
    out.push(...found);
  }
  if (issues.length > 0) throw new ConfigError(issues, source);
  return out;
}
