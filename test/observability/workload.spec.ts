import avro from 'avsc';
import { SCHEMA_TEXTS } from '../../src/platform/schemas/generated.js';
import {
  CommentGenerator,
  LogReplayer,
  Rng,
  TransferGenerator,
  isCritical,
  parseWorkloadArgs,
  planAccounts,
} from '../../scripts/workload/index.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const type = (name: keyof typeof SCHEMA_TEXTS): avro.Type =>
  avro.Type.forSchema(JSON.parse(SCHEMA_TEXTS[name]) as avro.Schema);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const loghubDir = join(import.meta.dirname, '../../../shared/eval-data/loghub');

describe('workload generator', () => {
  describe('CLI arguments', () => {
    it('parses rate, duration, streams and shares', () => {
      const { workload, json } = parseWorkloadArgs([
        '--rate',
        '500',
        '--duration',
        '60',
        '--stream',
        'transfers,logs',
        '--invalid-share',
        '0.2',
        '--via-gateway',
        '0.1',
        '--json',
      ]);
      expect(workload).toMatchObject({
        rate: 500,
        durationSeconds: 60,
        streams: ['transfers', 'logs'],
        viaGatewayShare: 0.1,
        transferMix: { invalidShare: 0.2, duplicateShare: 0.05 },
      });
      expect(json).toBe(true);
    });

    it.each([
      [['--rate', '0'], /--rate/],
      [['--stream', 'transfers,tweets'], /unknown stream "tweets"/],
      [['--accounts', 'maybe'], /--accounts/],
      [['--via-gateway', '2'], /--via-gateway/],
      [['--invalid-share', '0.6', '--duplicate-share', '0.5'], /must not exceed 1/],
      [['--bogus'], /bogus/],
    ])('rejects %j', (args, message) => {
      expect(() => parseWorkloadArgs(args)).toThrow(message);
    });
  });

  describe('transfers', () => {
    const accounts = planAccounts('wl', 5);
    const generate = (n: number, seed = 7): ReturnType<TransferGenerator['next']>[] => {
      const g = new TransferGenerator(accounts, new Rng(seed));
      return Array.from({ length: n }, () => g.next());
    };

    it('plans a funding, a merchant and the customers per currency', () => {
      expect(accounts).toHaveLength(3 * 7);
      expect(accounts.filter((a) => a.minBalanceMinor === null).map((a) => a.role)).toEqual([
        'funding',
        'funding',
        'funding',
      ]);
    });

    it('funds every customer first, then mixes valid, invalid, duplicate and conflicting requests', () => {
      const out = generate(5000);
      expect(out.slice(0, 15).every((t) => t.intent === 'funding')).toBe(true);
      const count = (intent: string): number => out.filter((t) => t.intent === intent).length;
      expect(count('invalid') / 5000).toBeGreaterThan(0.05);
      expect(count('invalid') / 5000).toBeLessThan(0.11);
      expect(count('duplicate') / 5000).toBeGreaterThan(0.03);
      expect(count('conflict')).toBeGreaterThan(10);
      expect(count('pending')).toBeGreaterThan(50);
      expect(count('settle')).toBeGreaterThan(10);
      expect(new Set(out.filter((t) => t.invalidReason).map((t) => t.invalidReason)).size).toBe(5);
    });

    it('duplicates repeat an earlier id and body; conflicts change the body; settlements name a reservation', () => {
      const out = generate(5000);
      const byId = new Map(
        out
          .filter((t) => t.intent !== 'duplicate' && t.intent !== 'conflict')
          .map((t) => [t.value.transferId, t.value]),
      );
      for (const d of out.filter((t) => t.intent === 'duplicate')) {
        const original = byId.get(d.value.transferId);
        expect({ ...d.value, eventId: '', requestedAt: 0 }).toEqual({
          ...original,
          eventId: '',
          requestedAt: 0,
        });
      }
      for (const c of out.filter((t) => t.intent === 'conflict')) {
        expect(c.value.amountMinor).not.toBe(byId.get(c.value.transferId)?.amountMinor);
      }
      for (const s of out.filter((t) => t.intent === 'settle')) {
        expect(byId.get(s.value.relatedTransferId ?? '')?.kind).toBe('PENDING');
      }
    });

    it('every request is valid Avro; only malformed ones lack a UUID transfer id', () => {
      const t = type('transfer-requested');
      for (const g of generate(3000)) {
        expect(t.isValid(g.value)).toBe(true);
        expect(UUID.test(g.value.transferId)).toBe(g.invalidReason !== 'malformed');
      }
      const all = generate(3000);
      const sameAccount = all.filter((g) => g.invalidReason === 'same_account');
      expect(sameAccount.length).toBeGreaterThan(0);
      expect(sameAccount.every((g) => g.value.debitAccountId === g.value.creditAccountId)).toBe(
        true,
      );
      const nonPositive = all.filter((g) => g.invalidReason === 'non_positive_amount');
      expect(nonPositive.length).toBeGreaterThan(0);
      expect(nonPositive.every((g) => g.value.amountMinor <= 0)).toBe(true);
    });
  });

  describe('log lines', () => {
    it('the built-in generator yields valid, re-stamped lines and critical lines for bursts', () => {
      const r = LogReplayer.builtin(new Rng(3));
      const t = type('log-line');
      const lines = Array.from({ length: 500 }, () => r.next(1_700_000_000_000));
      expect(lines.every((l) => t.isValid(l))).toBe(true);
      expect(new Set(lines.map((l) => l.eventId)).size).toBe(500);
      expect(lines.every((l) => l.timestamp === 1_700_000_000_000)).toBe(true);
      const source = r.pickBurstSource();
      const burst = Array.from({ length: 50 }, () => r.critical(source, 1));
      expect(burst.every((l) => l.source === source && isCritical(l))).toBe(true);
    });

    it('falls back when the loghub folder is absent', () => {
      expect(LogReplayer.fromLoghub('/nonexistent/loghub', new Rng(1))).toBeUndefined();
    });

    // The samples are evaluation data outside the repository: skipped when absent.
    (existsSync(loghubDir) ? describe : describe.skip)('with ../shared/eval-data/loghub', () => {
      it('replays the real loghub samples as valid lines', () => {
        const r = LogReplayer.fromLoghub(loghubDir, new Rng(5));
        expect(r?.dataset).toBe('loghub');
        const t = type('log-line');
        const lines = Array.from({ length: 3000 }, () => r?.next(1));
        expect(lines.every((l) => t.isValid(l))).toBe(true);
        expect(new Set(lines.map((l) => l?.source)).size).toBeGreaterThanOrEqual(10);
        expect(r?.burstSources.length).toBeGreaterThanOrEqual(10);
      });
    });
  });

  describe('comments', () => {
    it('mixes English and Portuguese, all sentiments and sources, as valid Avro', () => {
      const g = new CommentGenerator(new Rng(11), 'run1');
      const t = type('comment-submitted');
      const out = Array.from({ length: 2000 }, () => g.next());
      expect(out.every((c) => t.isValid(c.value))).toBe(true);
      const pt = out.filter((c) => c.language === 'pt').length / out.length;
      expect(pt).toBeGreaterThan(0.3);
      expect(pt).toBeLessThan(0.5);
      expect(new Set(out.map((c) => c.intended))).toEqual(
        new Set(['positive', 'negative', 'neutral']),
      );
      expect(new Set(out.map((c) => c.value.source)).size).toBe(5);
      expect(out.some((c) => c.value.languageHint === null)).toBe(true);
      expect(
        out.filter((c) => c.language === 'pt').some((c) => /ã|ç|é|ê|á/.test(c.value.text)),
      ).toBe(true);
      const dups = out.filter((c) => c.duplicate);
      expect(dups.length).toBeGreaterThan(10);
      expect(
        dups.every((d) => out.some((c) => !c.duplicate && c.value.commentId === d.value.commentId)),
      ).toBe(true);
    });
  });
});
