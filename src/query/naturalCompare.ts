const DIGIT_0 = 48;
const DIGIT_9 = 57;

function isDigit(code: number): boolean {
  return code >= DIGIT_0 && code <= DIGIT_9;
}

/**
 * Orders strings so that runs of digits compare by numeric value (`2` < `10` < `a`), everything
 * else by UTF-16 code unit. Locale-independent, so the order is the same on every machine.
 * Equal numeric runs with different leading zeros (`01` vs `1`) tie-break on the raw string, so
 * distinct ids never compare equal.
 */
export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i;
      let ej = j;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      let si = i;
      let sj = j;
      while (si < ei - 1 && a.charCodeAt(si) === DIGIT_0) si++; // skip leading zeros
      while (sj < ej - 1 && b.charCodeAt(sj) === DIGIT_0) sj++;
      const lengthDiff = ei - si - (ej - sj);
      if (lengthDiff !== 0) return lengthDiff < 0 ? -1 : 1;
      for (let k = 0; k < ei - si; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k);
        if (d !== 0) return d < 0 ? -1 : 1;
      }
      i = ei;
      j = ej;
    } else {
      if (ca !== cb) return ca < cb ? -1 : 1;
      i++;
      j++;
    }
  }
  if (i < a.length || j < b.length) return i < a.length ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
