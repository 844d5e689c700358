/** Nearest-rank percentile of an ascending list: with 50 samples p99 is the slowest, with 330 the fourth-slowest. */
export function nearestRank(ascending: readonly number[], fraction: number): number {
  return ascending[Math.min(ascending.length - 1, Math.max(1, Math.ceil(fraction * ascending.length)) - 1)]!;
}

/** The middle value, or the mean of the two middle ones; NaN for none (printed as n/a). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
