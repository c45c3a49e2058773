/**
 * Findings as SARIF 2.1.0 (OASIS), the format CI systems (GitHub code scanning, GitLab, Azure
 * DevOps) show as annotations. One run, one tool (`bulwark`), one rule per finding id, severities
 * mapped to SARIF levels (critical/high → error, medium → warning, low/info → note).
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Finding, Severity } from '../findings.js';

/**
 * A finding's file as a SARIF artifact URI: relative to `base` (the repository root, where code
 * scanning resolves it) when the file is inside it, else an absolute file: URL.
 */
function artifactUri(file: string | undefined, base: string): string {
  if (file === undefined) return '.';
  const abs = resolve(base, file);
  const rel = relative(base, abs);
  if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  return pathToFileURL(abs).href;
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
const SECURITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

export function toSarif(
  findings: readonly Finding[],
  tool: { version: string; informationUri?: string /** Rule tags (default security, supply-chain). */; tags?: readonly string[] },
  base = process.cwd(),
): object {
  const rules = [...new Map(findings.map((f) => [f.rule, f])).values()];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'bulwark',
            version: tool.version,
            ...(tool.informationUri === undefined ? {} : { informationUri: tool.informationUri }),
            rules: rules.map((f) => ({
              id: f.rule,
              shortDescription: { text: f.rule.replace('/', ': ').replaceAll('-', ' ') },
              defaultConfiguration: { level: LEVEL[f.severity] },
              properties: { 'security-severity': SECURITY[f.severity], tags: [...(tool.tags ?? ['security', 'supply-chain'])] },
            })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: rules.findIndex((r) => r.rule === f.rule),
          level: LEVEL[f.severity],
          message: { text: `${f.message}${f.where ? ` (${f.where})` : ''}` },
          properties: { severity: f.severity },
          locations: [{ physicalLocation: { artifactLocation: { uri: artifactUri(f.file, base) } } }],
        })),
      },
    ],
  };
}
