import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { outboxTableDdl } from '../../platform/outbox/outbox.writer.js';

/**
 * The ledger's tables, in schema `ledger`:
 * - accounts: the immutable definition of an account — id, currency, bounds — and who opened it.
 * - balances: the mutable state of an account, one row each: TigerBeetle's four running totals,
 *   the number of its last entry, and its status (open/closed). It is the row a batch locks
 *   (FOR NO KEY UPDATE, in account-id order) and the only row a batch updates per account,
 *   however many of its transfers touch the account. Because everything mutable lives in the
 *   locked row, the locking statement itself returns current values (PostgreSQL re-reads a row
 *   it waited for). The bounds are copied here (they never change) so CHECK constraints enforce
 *   them as a second line of defence behind the domain.
 * - transfers: exactly one outcome per caller transfer id (posted, pending, voided or rejected),
 *   with the request's fingerprint for idempotent replay and the balances after it. Insert-only.
 * - pending_transfers: the reservation state of accepted PENDING transfers (the one mutable
 *   thing about a transfer), indexed for the expiry sweep.
 * - entries: the journal, append-only; per-account gapless sequence and posted balance after.
 * - outbox: the platform outbox (events written in the same transaction).
 */
export class CreateLedgerTables1795368000000 implements MigrationInterface {
  readonly name = 'CreateLedgerTables1795368000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE SCHEMA IF NOT EXISTS ledger;

      CREATE TABLE ledger.accounts (
        id                text COLLATE "C" PRIMARY KEY,
        currency          text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        scale             smallint    NOT NULL CHECK (scale BETWEEN 0 AND 18),
        min_balance_minor bigint,
        max_balance_minor bigint,
        description       text,
        metadata          jsonb       NOT NULL DEFAULT '{}'::jsonb,
        created_by        text        NOT NULL,
        created_at        timestamptz NOT NULL DEFAULT now(),
        CHECK (min_balance_minor IS NULL OR min_balance_minor <= 0),
        CHECK (max_balance_minor IS NULL OR max_balance_minor >= 0)
      );

      CREATE TABLE ledger.balances (
        account_id        text COLLATE "C" PRIMARY KEY REFERENCES ledger.accounts (id),
        debits_posted     bigint      NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
        credits_posted    bigint      NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
        debits_pending    bigint      NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
        credits_pending   bigint      NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
        last_seq          bigint      NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
        status            text        NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CLOSED')),
        closed_by         text,
        closed_at         timestamptz,
        min_balance_minor bigint,
        max_balance_minor bigint,
        updated_at        timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT balances_within_lower_bound CHECK (
          min_balance_minor IS NULL
          OR credits_posted - debits_posted - debits_pending >= min_balance_minor),
        CONSTRAINT balances_within_upper_bound CHECK (
          max_balance_minor IS NULL
          OR credits_posted + credits_pending - debits_posted <= max_balance_minor)
      ) WITH (fillfactor = 50);

      CREATE TABLE ledger.transfers (
        transfer_id                  uuid PRIMARY KEY,
        kind                         text        NOT NULL CHECK (kind IN
                                       ('TRANSFER', 'PENDING', 'POST_PENDING', 'VOID_PENDING', 'REVERSAL')),
        status                       text        NOT NULL CHECK (status IN
                                       ('POSTED', 'PENDING', 'VOIDED', 'REJECTED')),
        result_code                  text,
        reason                       text,
        fingerprint                  bytea       NOT NULL,
        debit_account_id             text COLLATE "C" NOT NULL,
        credit_account_id            text COLLATE "C" NOT NULL,
        amount_minor                 bigint      NOT NULL,
        currency                     text        NOT NULL,
        related_transfer_id          uuid,
        debit_posted_after           bigint,
        debit_pending_debits_after   bigint,
        debit_pending_credits_after  bigint,
        credit_posted_after          bigint,
        credit_pending_debits_after  bigint,
        credit_pending_credits_after bigint,
        timeout_seconds              integer,
        expires_at                   timestamptz,
        source_system                text        NOT NULL,
        request_event_id             uuid,
        requested_at                 timestamptz NOT NULL,
        decided_at                   timestamptz NOT NULL,
        description                  text,
        metadata                     jsonb       NOT NULL DEFAULT '{}'::jsonb,
        CONSTRAINT transfers_code_iff_rejected CHECK ((status = 'REJECTED') = (result_code IS NOT NULL)),
        CONSTRAINT transfers_balances_iff_accepted CHECK (
          (status = 'REJECTED') = (debit_posted_after IS NULL AND credit_posted_after IS NULL))
      );
      -- Reversal bookkeeping: how much of a transfer has been reversed. Partial, so the common
      -- plain TRANSFER (no related id) pays nothing for it.
      CREATE INDEX transfers_related_idx ON ledger.transfers (related_transfer_id)
        WHERE related_transfer_id IS NOT NULL;

      CREATE TABLE ledger.pending_transfers (
        transfer_id            uuid PRIMARY KEY REFERENCES ledger.transfers (transfer_id),
        state                  text        NOT NULL CHECK (state IN ('PENDING', 'POSTED', 'VOIDED', 'EXPIRED')),
        expires_at             timestamptz,
        settled_by_transfer_id uuid,
        settled_at             timestamptz,
        CHECK ((state = 'PENDING') = (settled_at IS NULL))
      );
      CREATE INDEX pending_transfers_expiry_idx ON ledger.pending_transfers (expires_at)
        WHERE state = 'PENDING' AND expires_at IS NOT NULL;

      -- No foreign keys here on purpose: an FK check is a per-row lookup (and KEY SHARE lock) on
      -- the referenced row, which for a hot account means thousands per batch. Entries are only
      -- written by the batch that also writes the transfer and holds the account locks.
      CREATE TABLE ledger.entries (
        account_id          text COLLATE "C" NOT NULL,
        seq                 bigint      NOT NULL CHECK (seq > 0),
        transfer_id         uuid        NOT NULL,
        side                text        NOT NULL CHECK (side IN ('DEBIT', 'CREDIT')),
        amount_minor        bigint      NOT NULL CHECK (amount_minor > 0),
        balance_after_minor bigint      NOT NULL,
        posted_at           timestamptz NOT NULL,
        PRIMARY KEY (account_id, seq)
      );
      -- Balance as of a past time: the last entry at or before it.
      CREATE INDEX entries_account_time_idx ON ledger.entries (account_id, posted_at, seq);

      -- The journal and the outcomes are facts: corrections are new rows (reversals), never edits.
      CREATE FUNCTION ledger.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        RAISE EXCEPTION 'ledger.% is append-only: % refused', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'restrict_violation';
      END
      $fn$;
      CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger.entries
        FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
      CREATE TRIGGER transfers_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger.transfers
        FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
    `);
    await q.query(outboxTableDdl('ledger'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE IF EXISTS ledger.outbox;
      DROP TABLE IF EXISTS ledger.entries;
      DROP TABLE IF EXISTS ledger.pending_transfers;
      DROP TABLE IF EXISTS ledger.transfers;
      DROP FUNCTION IF EXISTS ledger.refuse_change();
      DROP TABLE IF EXISTS ledger.balances;
      DROP TABLE IF EXISTS ledger.accounts;
    `);
  }
}
