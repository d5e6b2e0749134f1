import http from 'node:http';
import type { Backend } from '../support/backends.js';

export const PREFIX = 'source_data/';
export const NOW = Date.UTC(2026, 10, 22, 12);

export interface SeedUser {
  id: string;
  first: string;
  last: string;
  birthts: number;
  image: boolean;
}

/** A small deterministic generator (LCG), so every run seeds the same users. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const FIRST = ['Ada', 'Zoë', 'Łukasz', 'Mei', 'Omar', 'Priya', 'Jean-Luc', 'Sam'];
const LAST = ['Lovelace', 'Smith, Jr', 'O"Brien', 'Müller', 'Tanaka', 'García', 'Nowak'];
const MS_PER_DAY = 86_400_000;

/**
 * `count` users with ids that exercise the order (numbers by value, a leading zero, letters),
 * birth dates from 1935 to 2007 at any time of day, names that need CSV quoting, and about 45%
 * with an image.
 */
export function makeUsers(count: number, seed = 7): SeedUser[] {
  const next = random(seed);
  const from = Date.UTC(1935, 0, 1);
  const days = (Date.UTC(2007, 11, 31) - from) / MS_PER_DAY;
  return Array.from({ length: count }, (_, i) => ({
    id: i % 13 === 5 ? `user-${i}` : i % 29 === 3 ? `0${i}` : String(i + 1),
    first: FIRST[Math.floor(next() * FIRST.length)]!,
    last: LAST[Math.floor(next() * LAST.length)]!,
    birthts: from + Math.floor(next() * days) * MS_PER_DAY + Math.floor(next() * MS_PER_DAY),
    image: next() < 0.45,
  }));
}

const quote = (v: string) => (/[",]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

export function userCsv(u: SeedUser): string {
  return `first_name, last_name, birthts\n${quote(u.first)}, ${quote(u.last)}, ${u.birthts}\n`;
}

export async function writeUsers(b: Backend, users: readonly SeedUser[]): Promise<void> {
  for (const u of users) {
    await b.write(`${PREFIX}${u.id}.csv`, userCsv(u));
    if (u.image) await b.write(`${PREFIX}${u.id}.png`, Buffer.from([0x89, 0x50]));
  }
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The bytes as they came over the wire, still compressed if they were. */
  body: Buffer;
}

/** A GET with exactly the given headers (fetch adds its own Accept-Encoding and decodes bodies). */
export function rawGet(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The `rel="next"` URL of a Link header, resolved against `base`, or `null`. */
export function nextLink(link: string | null | undefined, base: string): string | null {
  if (!link) return null;
  const match = /^<([^>]*)>;\s*rel="next"$/.exec(link);
  if (!match) throw new Error(`unexpected Link header: ${link}`);
  return new URL(match[1]!, base).href;
}
