// The section of RESULTS.md for the S3 listing at 75 ms a page (bench/lib/listing.mjs).
import { int, ms, ratio } from './format.mjs';
import { MAX_OVERLAP_RATIO } from './listing.mjs';

const line = (cells) => `| ${cells.join(' | ')} |`;
const table = (header, rows) => [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');

function rows(answeredBy, c, concurrency) {
  const serverMs = (side) => (side.serverMsPerPage.median === null ? '—' : ms(side.serverMsPerPage.median));
  const overlap = c.parallel.overlap.median;
  return [
    [
      answeredBy,
      'serial (`listConcurrency: 1`)',
      int(c.serial.requests.median),
      ms(c.serial.wallMs.median),
      ms(c.serial.pageMsSum.median),
      '—',
      serverMs(c.serial),
      '—',
    ],
    [
      answeredBy,
      `parallel (\`listConcurrency: ${concurrency}\`)`,
      int(c.parallel.requests.median),
      ms(c.parallel.wallMs.median),
      ms(c.parallel.pageMsSum.median),
      `${ratio(overlap)} (goal ≤ ${ratio(MAX_OVERLAP_RATIO)}: ${overlap <= MAX_OVERLAP_RATIO ? 'met' : '**missed**'})`,
      serverMs(c.parallel),
      `${c.speedUp.toFixed(2)} ×`,
    ],
  ];
}

export function listingSection(l) {
  if (!l) return '';
  const intro =
    `\`list()\` of ${int(l.objects)} keys (${int(l.users)} users) through a proxy that holds every ListObjectsV2 request ${l.delayMs} ms, about what a page of AWS S3 takes (\`bench/lib/delayProxy.mjs\`), ` +
    `with the default \`listConcurrency\` against one page after another, taking turns; medians of ${l.runs} run(s). ` +
    `Page times are from the request reaching the proxy to its answer leaving it; the overlap is the listing's wall time over their sum. ` +
    `s3rver answers every page on one thread after walking its whole folder, so the first rows are bound by it (its time per page counts, in parallel, the wait behind the other pages); ` +
    `in the last two the proxy, in a process of its own, answers from a copy of the same listing, so a page costs the ${l.delayMs} ms. ` +
    `Measured ${l.at} by \`${l.command}\`, load average ${l.loadAverageAtStart.map((v) => v.toFixed(2)).join(', ')} at the start.`;
  const header = [
    'Pages answered by',
    'Listing',
    'LIST requests',
    'Wall time',
    'Sum of page times',
    'Overlap (wall / sum)',
    "s3rver's time per page",
    'Speed-up over serial',
  ];
  const body = [...rows('s3rver', l.s3rver, l.listConcurrency), ...rows('a copy of the listing', l.replayed, l.listConcurrency)];
  return [`## S3 listing at ${l.delayMs} ms a page`, intro, table(header, body)].join('\n\n');
}
