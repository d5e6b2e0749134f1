// Number formats shared by the goal checks and the markdown, so both print a figure the same way.
const missing = (v) => v === null || v === undefined || Number.isNaN(v);

export const int = (n) => Math.round(n).toLocaleString('en-US');
export const ms = (v) => (missing(v) ? '—' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : v >= 10 ? `${v.toFixed(0)} ms` : `${v.toFixed(1)} ms`);
export const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;
export const kib = (b) => (b >= 1048576 ? mib(b) : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);
export const ratio = (r) => (missing(r) ? '—' : r.toFixed(2));
