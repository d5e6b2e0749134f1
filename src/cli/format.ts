import type { SyncReport } from '../index.js';
import { printable } from './printable.js';

/** What a sync did, for people: one line of counts, then every unusable file with its reason. */
export function syncSummary(report: SyncReport, source: string): string {
  const lines = [
    `synced ${plural(report.users, 'user')} from ${printable(source)} in ${report.durationMs} ms`,
    `listed ${report.listed}, downloaded ${report.downloaded}, unchanged ${report.unchanged}, removed ${report.removed}, ` +
      `images without a user ${report.imagesWithoutInfo}, ignored ${report.ignored}`,
  ];
  if (!report.complete) lines.push(`incomplete: ${plural(report.missing.length, 'user CSV')} could not be downloaded; running again retries them`);
  if (report.failed.length === 0) lines.push('no failed files');
  else {
    lines.push(`${plural(report.failed.length, 'failed file')}:`);
    for (const { key, reason } of report.failed) lines.push(`  ${printable(key)}: ${printable(reason)}`);
  }
  return lines.join('\n') + '\n';
}

/** `GET /stats`, byte for byte: the same keys in the same order. */
export function statsJson(stats: { averageAge: number | null; count: number }): string {
  return `${JSON.stringify({ average_age: stats.averageAge, count: stats.count })}\n`;
}

/** The statistics, for people. */
export function statsSummary(stats: { averageAge: number | null; count: number }): string {
  const average = stats.averageAge === null ? 'none (no matching users)' : `${stats.averageAge.toFixed(2)} years`;
  return `users        ${stats.count}\naverage age  ${average}\n`;
}

/** One JSON object per line; nothing at all for no rows. */
export function toNdjson(rows: readonly object[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
