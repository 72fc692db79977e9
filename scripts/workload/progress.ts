import { type WorkloadSnapshot } from './runner.js';

const pct = (part: number, whole: number): string =>
  whole > 0 ? `${Math.round((part / whole) * 100)}%` : '0%';

/** One line per second: per-stream rate since `prev`, totals and the notable mixes. */
export function formatProgress(prev: WorkloadSnapshot | undefined, cur: WorkloadSnapshot): string {
  const dt = prev
    ? Math.max(0.001, cur.elapsedSeconds - prev.elapsedSeconds)
    : Math.max(0.001, cur.elapsedSeconds);
  const perS = (now: number, before: number | undefined): string =>
    `${Math.round((now - (before ?? 0)) / dt)}/s`;
  const t = cur.transfers;
  const l = cur.logs;
  const c = cur.comments;
  const parts = [`${cur.elapsedSeconds.toFixed(0).padStart(4)}s`];
  if (t.sent + t.failed > 0 || t.byIntent.funding > 0) {
    parts.push(
      `transfers ${perS(t.sent, prev?.transfers.sent)} (${t.sent} sent; invalid ${t.byIntent.invalid}, dup ${t.byIntent.duplicate}, conflict ${t.byIntent.conflict}, pending ${t.byIntent.pending})`,
    );
  }
  if (l.sent + l.failed > 0) {
    parts.push(
      `logs ${perS(l.sent, prev?.logs.sent)} (${l.sent} sent; critical ${l.critical}, bursts ${l.bursts}${l.burstSource ? `, BURST ${l.burstSource}` : ''})`,
    );
  }
  if (c.sent + c.failed > 0) {
    const total = c.byLanguage.en + c.byLanguage.pt;
    parts.push(
      `comments ${perS(c.sent, prev?.comments.sent)} (${c.sent} sent; pt ${pct(c.byLanguage.pt, total)}, neg ${pct(c.byIntended.negative, total)})`,
    );
  }
  const failed = t.failed + l.failed + c.failed;
  const dropped = t.dropped + l.dropped + c.dropped;
  const gw = t.viaGateway + l.viaGateway + c.viaGateway;
  if (gw > 0) parts.push(`gateway ${gw}`);
  if (failed > 0 || dropped > 0) parts.push(`failed ${failed}, dropped ${dropped}`);
  return parts.join(' | ');
}

/** The final report. */
export function formatSummary(s: WorkloadSnapshot): string {
  const t = s.transfers;
  const l = s.logs;
  const c = s.comments;
  const lines = [
    `workload ${s.runId}: ${s.elapsedSeconds.toFixed(1)} s`,
    s.accounts
      ? `  accounts   via ${s.accounts.via}: ${s.accounts.created} created, ${s.accounts.existing} existing, ${s.accounts.failed.length} failed`
      : '',
    `  transfers  sent ${t.sent} (gateway ${t.viaGateway}), failed ${t.failed}, dropped ${t.dropped}; ` +
      Object.entries(t.byIntent)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(', '),
    `             invalid by reason: ${Object.entries(t.invalidByReason)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `  logs       sent ${l.sent} (gateway ${l.viaGateway}) from ${l.dataset}, failed ${l.failed}, dropped ${l.dropped}; critical ${l.critical}, bursts ${l.bursts}`,
    `  comments   sent ${c.sent} (gateway ${c.viaGateway}), failed ${c.failed}, dropped ${c.dropped}; en ${c.byLanguage.en}, pt ${c.byLanguage.pt}; intended positive ${c.byIntended.positive}, negative ${c.byIntended.negative}, neutral ${c.byIntended.neutral}; duplicates ${c.duplicates}`,
    s.poison > 0 ? `  poison     ${s.poison} non-Avro records` : '',
    s.lastError ? `  last error ${s.lastError}` : '',
  ];
  return lines.filter(Boolean).join('\n');
}
