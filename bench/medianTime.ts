// Timing for the in-process benchmarks: a median of several runs after a warm-up.

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Median milliseconds of `runs` calls of `action`, after two warm-up calls (the JIT compiles it). */
export function medianMs(runs: number, action: () => unknown): number {
  for (let i = 0; i < 2; i++) action();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    action();
    samples.push(performance.now() - start);
  }
  return median(samples);
}
