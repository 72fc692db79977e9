import { type EventPublisher, type OutgoingRecord } from '../platform/messaging/publisher.js';
import { OverloadedError, PublishBatcher, PublishTimeoutError } from './publish-batcher.js';

/** A publisher whose sends complete when the test says so. */
class FakePublisher {
  readonly sends: Array<{ topic: string; records: readonly OutgoingRecord[] }> = [];
  private pending: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    this.sends.push({ topic, records });
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  ack(): void {
    this.pending.shift()?.resolve();
  }

  fail(err: unknown): void {
    this.pending.shift()?.reject(err);
  }

  get inflight(): number {
    return this.pending.length;
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const rec = (key: string): OutgoingRecord => ({ key, value: { key } });

function batcher(
  fake: FakePublisher,
  over: Partial<{ maxBatch: number; maxQueued: number; timeoutMs: number }> = {},
): PublishBatcher {
  return new PublishBatcher(fake as unknown as EventPublisher, {
    maxBatch: 100,
    maxQueued: 1000,
    timeoutMs: 5000,
    ...over,
  });
}

describe('PublishBatcher', () => {
  it('coalesces requests queued while a send is in flight, one send at a time per topic', async () => {
    const fake = new FakePublisher();
    const b = batcher(fake);
    const done: string[] = [];
    const first = b.publish('t', [rec('a')]).then(() => done.push('a'));
    await tick();
    expect(fake.sends).toHaveLength(1);
    const rest = ['b', 'c', 'd'].map((k) => b.publish('t', [rec(k)]).then(() => done.push(k)));
    await tick();
    expect(fake.inflight).toBe(1); // b, c, d wait for a's acknowledgement
    fake.ack();
    await first;
    await tick();
    expect(fake.sends.map((s) => s.records.map((r) => r.key))).toEqual([['a'], ['b', 'c', 'd']]);
    expect(done).toEqual(['a']); // nobody resolves before its own send is acknowledged
    fake.ack();
    await Promise.all(rest);
    expect(done).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps a request whole and splits sends at maxBatch records', async () => {
    const fake = new FakePublisher();
    const b = batcher(fake, { maxBatch: 3 });
    const all = [
      b.publish('t', [rec('a1'), rec('a2')]),
      b.publish('t', [rec('b1'), rec('b2')]),
      b.publish('t', [rec('c1')]),
    ];
    await tick();
    fake.ack();
    await tick();
    fake.ack();
    await Promise.all(all);
    expect(fake.sends.map((s) => s.records.length)).toEqual([2, 3]);
  });

  it('fails every request of a failed send, and only those', async () => {
    const fake = new FakePublisher();
    const b = batcher(fake);
    const a = b.publish('t', [rec('a')]);
    const other = b.publish('u', [rec('x')]);
    await tick();
    fake.fail(new Error('broker down'));
    await expect(a).rejects.toThrow('broker down');
    fake.ack();
    await expect(other).resolves.toBeUndefined();
  });

  it('sheds load above maxQueued and times out unacknowledged requests', async () => {
    const fake = new FakePublisher();
    const b = batcher(fake, { maxQueued: 2, timeoutMs: 50 });
    const a = b.publish('t', [rec('a'), rec('b')]);
    await expect(b.publish('t', [rec('c')])).rejects.toBeInstanceOf(OverloadedError);
    await expect(a).rejects.toBeInstanceOf(PublishTimeoutError);
  });
});
