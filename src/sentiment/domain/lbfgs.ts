/**
 * Limited-memory BFGS (Nocedal 1980) with a backtracking Armijo line search, for smooth convex
 * objectives such as L2-regularised logistic regression. Deterministic: same inputs, same
 * floating-point operations in the same order, same result bytes.
 */

export interface Objective {
  /** Writes the gradient into `grad` and returns the value at `x`. */
  (x: Float64Array, grad: Float64Array): number;
}

export interface LbfgsOptions {
  maxIterations: number;
  /** Stop when the relative decrease of the objective falls below this. */
  tolerance: number;
  memory: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}

export function minimizeLbfgs(
  f: Objective,
  x0: Float64Array,
  options: LbfgsOptions = { maxIterations: 200, tolerance: 1e-7, memory: 10 },
): LbfgsResult {
  const n = x0.length;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let fx = f(x, g);
  const sHist: Float64Array[] = [];
  const yHist: Float64Array[] = [];
  const rhoHist: number[] = [];
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const alpha = new Float64Array(options.memory);
  let iterations = 0;

  for (; iterations < options.maxIterations; iterations++) {
    // Two-loop recursion: d = -H·g.
    for (let i = 0; i < n; i++) d[i] = -(g[i] ?? 0);
    const m = sHist.length;
    for (let k = m - 1; k >= 0; k--) {
      const s = sHist[k] as Float64Array;
      const y = yHist[k] as Float64Array;
      const a = (rhoHist[k] ?? 0) * dot(s, d);
      alpha[k] = a;
      for (let i = 0; i < n; i++) d[i] = (d[i] ?? 0) - a * (y[i] ?? 0);
    }
    if (m > 0) {
      const s = sHist[m - 1] as Float64Array;
      const y = yHist[m - 1] as Float64Array;
      const gamma = dot(s, y) / dot(y, y);
      for (let i = 0; i < n; i++) d[i] = (d[i] ?? 0) * gamma;
    } else {
      const norm = Math.sqrt(dot(g, g));
      if (norm === 0) break;
      for (let i = 0; i < n; i++) d[i] = (d[i] ?? 0) / norm;
    }
    for (let k = 0; k < m; k++) {
      const s = sHist[k] as Float64Array;
      const y = yHist[k] as Float64Array;
      const b = (rhoHist[k] ?? 0) * dot(y, d);
      const a = alpha[k] ?? 0;
      for (let i = 0; i < n; i++) d[i] = (d[i] ?? 0) + (a - b) * (s[i] ?? 0);
    }

    let slope = dot(g, d);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sHist.length = 0;
      yHist.length = 0;
      rhoHist.length = 0;
      for (let i = 0; i < n; i++) d[i] = -(g[i] ?? 0);
      slope = dot(g, d);
      if (slope === 0) break;
    }

    let step = 1;
    let fNew = Number.POSITIVE_INFINITY;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = (x[i] ?? 0) + step * (d[i] ?? 0);
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew < fx)) break;

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = (xNew[i] ?? 0) - (x[i] ?? 0);
      y[i] = (gNew[i] ?? 0) - (g[i] ?? 0);
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      if (sHist.length === options.memory) {
        sHist.shift();
        yHist.shift();
        rhoHist.shift();
      }
      sHist.push(s);
      yHist.push(y);
      rhoHist.push(1 / sy);
    }
    const decrease = (fx - fNew) / Math.max(Math.abs(fx), 1e-12);
    x.set(xNew);
    g.set(gNew);
    fx = fNew;
    if (decrease < options.tolerance) {
      iterations += 1;
      break;
    }
  }
  return { x, value: fx, iterations };
}
