// Human text for quantities the CLI prints: sizes, durations, transfer rates, ETAs.

/** "512 B", "66.7 KiB", "192 KiB", "1.25 MiB". */
export function formatBytes(bytes: number): string {
  const rounded = Math.round(bytes);
  if (rounded < 1024) return `${rounded} B`;
  if (rounded < 1024 * 1024) return `${trim((rounded / 1024).toFixed(1))} KiB`;
  return `${trim((rounded / (1024 * 1024)).toFixed(2))} MiB`;
}

function trim(fixed: string): string {
  return fixed.replace(/\.0+$/, '');
}

/** "66,748" — exact byte counts are easier to compare with a file size when grouped. */
export function formatCount(value: number): string {
  return Math.round(value)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "850 ms", "1.24 s", "2 min 05 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const totalSeconds = Math.round(ms / 1000);
  return `${Math.floor(totalSeconds / 60)} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
}

/** "41.2 KiB/s"; an empty string until there is something to measure. */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** "ETA <1s", "ETA 12s", "ETA 2m05s"; empty when unknown. */
export function formatEta(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return 'ETA <1s';
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return `ETA ${seconds}s`;
  return `ETA ${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}
