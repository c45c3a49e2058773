/** A progress bar on stderr when it is a terminal; silent otherwise (CI logs stay readable). */
export function progressBar(enabled: boolean): (label: string) => (done: number, total: number) => void {
  const tty = enabled && process.stderr.isTTY === true;
  return (label) => {
    let last = -1;
    return (done, total) => {
      if (!tty) return;
      const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
      if (pct === last) return;
      last = pct;
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      process.stderr.write(
        `\r${label.padEnd(44).slice(0, 44)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}%${pct === 100 ? '\n' : ''}`,
      );
    };
  };
}
