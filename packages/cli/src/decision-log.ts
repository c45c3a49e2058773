/**
 * One line per guard verdict other than allow, for `--log-decisions`. It shows codes, guard names
 * and the caller's hash; never inputs, outputs or raw caller ids.
 */
import type { Decision, DecisionInfo } from '@bulwark/core';

export type LogLine = (line: string) => void;

const COLOR: Record<string, string> = { deny: '\x1b[31m', modify: '\x1b[33m', flag: '\x1b[35m' };

export function decisionLogger(write: LogLine, color: boolean): (d: Decision, info: DecisionInfo) => void {
  return (d, info) => {
    const action = d.enforced || d.action === 'flag' ? d.action : `${d.action}(monitor)`;
    const tag = color ? `${COLOR[d.action] ?? ''}${action.padEnd(15)}\x1b[0m` : action.padEnd(15);
    write(
      `${new Date().toISOString()} ${tag} ${d.code.padEnd(22)} guard=${d.guard} caller=${info.principalHash.slice(0, 8)} rows=${info.queries} ${JSON.stringify(d.message)}`,
    );
  };
}
