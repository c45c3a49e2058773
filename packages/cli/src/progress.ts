/** A one-line progress bar on stderr (only on a terminal). */
export function progressBar(verb: string): { update(read: number, total: number): void; done(): void } {
  let last = -1;
  return {
    update(read, total) {
      const pct = total > 0 ? Math.floor((read / total) * 100) : 100;
      if (pct === last) return;
      last = pct;
      const width = 30;
      const full = Math.round((pct / 100) * width);
      process.stderr.write(`\r  ${verb} [${'#'.repeat(full)}${' '.repeat(width - full)}] ${pct}% (${(read / 1e6).toFixed(1)} MB)`);
    },
    done() {
      if (last >= 0) process.stderr.write('\n');
    },
  };
}
