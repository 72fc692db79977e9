import { BatchCoalescer } from './batch-coalescer.js';

class PoisonError extends Error {}
class StoreDown extends Error {}

interface Deferred {
  resolve(): void;
}

/** A run function that records its calls and can be held open to let submissions pile up. */
function recorder(): {
  calls: number[][];
  hold: () => Deferred;
  run: (items: readonly number[]) => Promise<readonly string[]>;
} {
  const calls: number[][] = [];
  let gate: Promise<void> | undefined;
  return {
    calls,
    hold: () => {
      let resolve!: () => void;
      gate = new Promise<void>((r) => (resolve = r));
      return {
        resolve: () => {
          gate = undefined;
          resolve();
        },
      };
    },
    run: async (items) => {
      calls.push([...items]);
      if (gate) await gate;
      if (items.includes(13)) throw new PoisonError('13 is poison');
      if (items.includes(-1)) throw new StoreDown('connection lost');
      return items.map((i) => `r${i}`);
    },
  };
}

const options = (maxItems = 100) => ({
  maxItems,
  isolate: (err: unknown) => err instanceof PoisonError,
});

describe('BatchCoalescer', () => {
  it('merges submissions that arrive in the same turn into one run and splits the results', async () => {
    const r = recorder();
    const c = new BatchCoalescer(r.run, options());
    const [a, b, d] = await Promise.all([c.submit([1, 2]), c.submit([3]), c.submit([4, 5, 6])]);
    expect(r.calls).toEqual([[1, 2, 3, 4, 5, 6]]);
    expect(a).toEqual(['r1', 'r2']);
    expect(b).toEqual(['r3']);
    expect(d).toEqual(['r4', 'r5', 'r6']);
  });

  it('keeps one run in flight and merges what arrived meanwhile into the next', async () => {
    const r = recorder();
    const c = new BatchCoalescer(r.run, options());
    const gate = r.hold();
    const first = c.submit([1]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.calls).toEqual([[1]]);
    const second = c.submit([2]);
    const third = c.submit([3, 4]);
    expect(c.queued).toBe(3);
    gate.resolve();
    expect(await first).toEqual(['r1']);
    expect(await second).toEqual(['r2']);
    expect(await third).toEqual(['r3', 'r4']);
    expect(r.calls).toEqual([[1], [2, 3, 4]]);
    expect(c.queued).toBe(0);
  });

  it('never merges beyond maxItems (a larger single submission still runs, alone)', async () => {
    const r = recorder();
    const c = new BatchCoalescer(r.run, options(4));
    await Promise.all([
      c.submit([1, 2, 3]),
      c.submit([4, 5]),
      c.submit([6]),
      c.submit([7, 8, 9, 10, 11]),
    ]);
    expect(r.calls).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9, 10, 11],
    ]);
  });

  it('isolates an input error to the submission that caused it', async () => {
    const r = recorder();
    const c = new BatchCoalescer(r.run, options());
    const results = await Promise.allSettled([c.submit([1]), c.submit([13, 14]), c.submit([2])]);
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseFulfilledResult<string[]>).value).toEqual(['r1']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(PoisonError);
    expect(r.calls).toEqual([[1, 13, 14, 2], [1], [13, 14], [2]]);
  });

  it('fails every merged submission on a store error, without re-running them one by one', async () => {
    const r = recorder();
    const c = new BatchCoalescer(r.run, options());
    const results = await Promise.allSettled([c.submit([1]), c.submit([-1]), c.submit([2])]);
    expect(results.every((x) => x.status === 'rejected')).toBe(true);
    expect(r.calls).toEqual([[1, -1, 2]]);
    // It keeps working afterwards.
    expect(await c.submit([5])).toEqual(['r5']);
  });

  it('rejects a run that returns the wrong number of results', async () => {
    const c = new BatchCoalescer(async () => ['only one'], options());
    await expect(c.submit([1, 2])).rejects.toThrow(/returned 1 results for 2 items/);
  });

  it('resolves an empty submission at once and reports runs', async () => {
    const runs: Array<{ items: number; submissions: number }> = [];
    const r = recorder();
    const c = new BatchCoalescer(r.run, {
      ...options(),
      onRun: ({ items, submissions }) => runs.push({ items, submissions }),
    });
    expect(await c.submit([])).toEqual([]);
    await Promise.all([c.submit([1]), c.submit([2])]);
    expect(r.calls).toEqual([[1, 2]]);
    expect(runs).toEqual([{ items: 2, submissions: 2 }]);
  });
});
