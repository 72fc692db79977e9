export interface BinaryMetrics {
  n: number;
  accuracy: number;
  /** F1 per class averaged with class-support weights. */
  weightedF1: number;
  /** Unweighted mean of the two classes' F1. */
  macroF1: number;
}

/** Binary metrics; `predicted` and `gold` are 0/1. */
export function binaryMetrics(
  gold: readonly number[],
  predicted: readonly number[],
): BinaryMetrics {
  const n = gold.length;
  let correct = 0;
  const tp = [0, 0];
  const fp = [0, 0];
  const fn = [0, 0];
  const support = [0, 0];
  for (let i = 0; i < n; i++) {
    const g = gold[i] === 1 ? 1 : 0;
    const p = predicted[i] === 1 ? 1 : 0;
    support[g] = (support[g] ?? 0) + 1;
    if (g === p) {
      correct += 1;
      tp[g] = (tp[g] ?? 0) + 1;
    } else {
      fp[p] = (fp[p] ?? 0) + 1;
      fn[g] = (fn[g] ?? 0) + 1;
    }
  }
  const f1 = [0, 1].map((c) => {
    const t = tp[c] ?? 0;
    const denom = 2 * t + (fp[c] ?? 0) + (fn[c] ?? 0);
    return denom === 0 ? 0 : (2 * t) / denom;
  });
  const f0 = f1[0] ?? 0;
  const f1c = f1[1] ?? 0;
  return {
    n,
    accuracy: n === 0 ? 0 : correct / n,
    weightedF1: n === 0 ? 0 : (f0 * (support[0] ?? 0) + f1c * (support[1] ?? 0)) / n,
    macroF1: (f0 + f1c) / 2,
  };
}

export function fmt(x: number, digits = 3): string {
  return x.toFixed(digits);
}
