// One progress line: "write   [##########--------]  58%  38.4/66.2 KiB  41.0 KiB/s  ETA 1s".
// Plain ASCII so it survives every terminal and CI log viewer.
import type { ProgressSample } from './progressTracker.js';
import { formatSize, formatEta, formatRate } from '../../core/format.js';

export function renderProgressBar(options: {
  readonly label: string;
  readonly sample: ProgressSample;
  /** Terminal width; the bar shrinks to fit, the numbers are kept. */
  readonly columns: number;
}): string {
  const { label, sample } = options;
  const fraction = sample.total > 0 ? Math.min(1, sample.done / sample.total) : 0;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const amounts = `${formatSize(sample.done)}/${formatSize(sample.total)}`;
  const tail = [percent, amounts, formatRate(sample.bytesPerSecond), formatEta(sample.etaMs)].filter((part) => part !== '').join('  ');
  const head = label.padEnd(8);
  // A fixed budget for the numbers keeps the bar from changing width as they change.
  const TAIL_BUDGET = 48;
  const width = Math.max(10, Math.min(30, options.columns - head.length - TAIL_BUDGET - 4));
  const filled = Math.round(fraction * width);
  const line = `${head} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${tail}`;
  return line.length > options.columns ? line.slice(0, Math.max(0, options.columns - 1)) : line;
}
