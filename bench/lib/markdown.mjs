// Markdown pieces shared by the sections that RESULTS.md shows for the standalone benchmarks.
const line = (cells) => `| ${cells.join(' | ')} |`;

export const table = (header, rows) => [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
export const mark = (ok) => (ok ? 'met' : '**missed**');
/** Decimal units, as file sizes are usually quoted: `47.1 MB`, `451 kB`. */
export const bytes = (b) => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : b >= 1e3 ? `${Math.round(b / 1e3)} kB` : `${b} B`);
