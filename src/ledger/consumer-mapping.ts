import { type ConsumedMessage, type MessageFailure } from '../platform/messaging/batch-consumer.js';
import { DlqReason } from '../platform/messaging/errors.js';
import { type TransferRequested } from '../platform/schemas/generated.js';
import { parseTransferRequested, type FieldError } from './domain/parse-transfer-request.js';
import { type TransferRequest, type TransferResult } from './domain/transfer.js';

/**
 * The pure part of the Kafka consumer: which messages of a chunk go to the ledger and which to the
 * DLQ, and how the ledger's per-request results become metric increments and log lines. No I/O.
 */

/** Outcome label of `streamline_ledger_transfers_total` (bounded set). */
export type OutcomeLabel =
  'posted' | 'pending' | 'voided' | 'rejected' | 'duplicate' | 'conflict' | 'invalid' | 'expired';

export interface ParsedChunk {
  /** Structurally valid requests, in chunk order, for ONE postBatch. */
  readonly requests: TransferRequest[];
  /** `sources[i]` is the message `requests[i]` came from. */
  readonly sources: ConsumedMessage<TransferRequested>[];
  /** Messages with field errors: dead-lettered by the runner with VALIDATION.INVALID. */
  readonly failures: MessageFailure[];
  /** The currency label of each invalid message, for the metrics. */
  readonly invalidCurrencies: string[];
}

const FAILURE_TEXT_MAX = 1000;

/** Splits a chunk into requests for the ledger and field-error failures for the DLQ. */
export function parseChunk(messages: readonly ConsumedMessage<TransferRequested>[]): ParsedChunk {
  const requests: TransferRequest[] = [];
  const sources: ConsumedMessage<TransferRequested>[] = [];
  const failures: MessageFailure[] = [];
  const invalidCurrencies: string[] = [];
  for (const message of messages) {
    const parsed = parseTransferRequested(message.value);
    if (parsed.ok) {
      requests.push(parsed.request);
      sources.push(message);
    } else {
      failures.push({
        offset: message.offset,
        reasonCode: DlqReason.VALIDATION,
        error: describeFieldErrors(parsed.errors),
      });
      invalidCurrencies.push(currencyLabel(message.value.currency));
    }
  }
  return { requests, sources, failures, invalidCurrencies };
}

/** `transferId: must be a UUID; amountMinor: ...`, bounded (it travels in a Kafka header). */
export function describeFieldErrors(errors: readonly FieldError[]): string {
  const text = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return text.length > FAILURE_TEXT_MAX ? `${text.slice(0, FAILURE_TEXT_MAX - 1)}…` : text;
}

/** The outcome label of one result. */
export function outcomeLabel(result: TransferResult): OutcomeLabel {
  if (result.disposition === 'DUPLICATE') return 'duplicate';
  if (result.disposition === 'CONFLICT') return 'conflict';
  switch (result.outcome.status) {
    case 'POSTED':
      return 'posted';
    case 'PENDING':
      return 'pending';
    case 'VOIDED':
      return 'voided';
    case 'REJECTED':
      return 'rejected';
  }
}

let knownCurrencies: ReadonlySet<string> | undefined;

/**
 * Metric label for a caller-supplied currency. Labels must stay a bounded set, and a request may
 * carry any string up to 16 characters: ISO 4217 codes the runtime knows (about 300) are kept,
 * anything else becomes `OTHER`.
 */
export function currencyLabel(currency: string): string {
  knownCurrencies ??= new Set(supportedCurrencies());
  return knownCurrencies.has(currency) ? currency : 'OTHER';
}

function supportedCurrencies(): string[] {
  const intl = Intl as typeof Intl & { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.('currency') ?? [];
  } catch {
    return [];
  }
}

export interface ConflictNote {
  readonly transferId: string;
  readonly partition: number;
  readonly offset: string;
  readonly sourceSystem: string;
  /** Status of the outcome the id already has. */
  readonly originalStatus: string;
}

/** What a batch's results add to the ledger metrics, and the conflicts to log. */
export interface OutcomeTally {
  /** `${currency}\u0000${outcome}` → count. */
  readonly transfers: Map<string, number>;
  /** currency → posted minor units (newly posted transfers only; not replays). */
  readonly volume: Map<string, bigint>;
  /** rejection code → count (new rejections only; a replayed rejection is a duplicate). */
  readonly rejections: Map<string, number>;
  readonly conflicts: ConflictNote[];
}

export function tallyKey(currency: string, outcome: OutcomeLabel): string {
  return `${currency}\u0000${outcome}`;
}

export function splitTallyKey(key: string): { currency: string; outcome: OutcomeLabel } {
  const [currency = 'OTHER', outcome = 'invalid'] = key.split('\u0000');
  return { currency, outcome: outcome as OutcomeLabel };
}

/**
 * Tallies `results` (aligned with `requests` and their `sources`). A conflict is counted under
 * the request's own currency label; newly posted amounts go to the volume of the outcome's
 * currency (for settlements and reversals the related transfer's).
 */
export function tallyResults(
  requests: readonly TransferRequest[],
  sources: readonly ConsumedMessage<unknown>[],
  results: readonly TransferResult[],
): OutcomeTally {
  const tally: OutcomeTally = {
    transfers: new Map(),
    volume: new Map(),
    rejections: new Map(),
    conflicts: [],
  };
  results.forEach((result, i) => {
    const request = requests[i];
    const label = outcomeLabel(result);
    const currency = currencyLabel(
      result.disposition === 'CONFLICT' ? (request?.currency ?? '') : result.outcome.currency,
    );
    increment(tally.transfers, tallyKey(currency, label), 1);
    if (result.disposition === 'CONFLICT') {
      const source = sources[i];
      tally.conflicts.push({
        transferId: request?.transferId ?? result.original.transferId,
        partition: source?.partition ?? -1,
        offset: source?.offset ?? '',
        sourceSystem: request?.sourceSystem ?? '',
        originalStatus: result.original.status,
      });
      return;
    }
    if (result.disposition !== 'APPLIED') return;
    const outcome = result.outcome;
    if (outcome.status === 'POSTED') {
      tally.volume.set(currency, (tally.volume.get(currency) ?? 0n) + outcome.amountMinor);
    } else if (outcome.status === 'REJECTED' && outcome.code !== null) {
      increment(tally.rejections, outcome.code, 1);
    }
  });
  return tally;
}

function increment(map: Map<string, number>, key: string, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}
