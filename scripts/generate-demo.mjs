#!/usr/bin/env node
/**
 * Deterministic demo data: per-user `<id>.csv` files plus tiny images, shaped like the messy files
 * the service meets in practice (mixed separators and line endings, quoted names, non-ASCII
 * letters, users without images, an image without a user). The same seed always gives the same
 * bytes, so the committed `data/` folder, the tests and the benchmarks all agree.
 *
 *   node scripts/generate-demo.mjs [--count N] [--seed S] [--image-ratio R] [--out DIR]
 */
import { Buffer } from 'node:buffer';
import { mkdirSync, readdirSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { deflateSync } from 'node:zlib';

export const DEMO_DEFAULTS = Object.freeze({ count: 150, seed: 42, imageRatio: 0.5, nowMs: Date.UTC(2026, 0, 1) });

const FIRST_USER_ID = 1001;
const DAY_MS = 86_400_000;
const MIN_AGE = 18;
const MAX_AGE = 90;
/** One orphan image per this many users keeps the warning path exercised at benchmark sizes too. */
const USERS_PER_ORPHAN = 1000;

const FIRST_NAMES = [
  'Ivan',
  'Anna',
  'John',
  'Maria',
  'Olga',
  'Peter',
  'Emma',
  'Noah',
  'Liam',
  'Sofia',
  'Łukasz',
  'Zoë',
  'José',
  'Ólafur',
  'Søren',
  'Мария',
  'Jürgen',
  'François',
  'Chloé',
  'Björn',
  'Ana',
  'Mei',
  'Hiroshi',
  'Aisha',
  'Priya',
  'Dmitri',
  'Élodie',
  'Ngọc',
  'Anne-Marie',
  'Grzegorz',
  'Дмитрий',
  'Øyvind',
  'Inés',
  'Kateřina',
  'Gökhan',
  'Siobhán',
  'Mateo',
  'Yusuf',
  'Lena',
  'Tomás',
];
const LAST_NAMES = [
  'Ivanov',
  'Smith',
  'Kowalski',
  'Müller',
  'García',
  'Ólafsson',
  'Jørgensen',
  'Петрова',
  'Nowak',
  'Dubois',
  'Andersson',
  "O'Brien",
  'Nguyễn',
  'Tanaka',
  'Rossi',
  'Schröder',
  'Fernández',
  'Novák',
  'Yılmaz',
  'Brown',
  'Wiśniewski',
  'Lefèvre',
  'Соколов',
  'Dvořák',
  'Sánchez',
  'Þórsson',
  'Kim',
  'Patel',
  'Weiß',
  'Costa',
];

/**
 * Users at these positions carry the awkward cases, so any set of 20 or more users has all of
 * them no matter how the random draws fall. Positions 2 and 4 hold quoted names: the fixed
 * format table below gives them plain `,` separators, because `, "a, b"` is not RFC 4180.
 */
const SPECIAL_USERS = new Map([
  [1, { leapDay: true }],
  [2, { first: 'Henry', last: 'Smith, Jr.' }],
  [3, { id: 'alice-smith', first: 'Alice', last: 'Smith' }],
  [4, { first: 'Robert "Bobby"', last: 'Tables' }],
  [5, { first: 'Łukasz', last: 'Wiśniewski' }],
  [6, { first: 'Zoë', last: 'Müller' }],
  [7, { first: 'José', last: 'García' }],
  [8, { first: 'Ólafur', last: 'Þórsson' }],
  [9, { first: 'Søren', last: 'Jørgensen' }],
  [10, { first: 'Мария', last: 'Петрова' }],
]);
/** Image choices pinned for small sets: one user with and one without, plus both JPEG spellings. */
const PINNED_IMAGES = new Map([
  [0, 'png'],
  [1, null],
  [5, 'jpg'],
  [6, 'jpeg'],
]);

/** mulberry32: tiny, fast and good enough to shuffle demo data; returns floats in [0, 1). */
export function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function checkOptions(options) {
  const merged = { ...DEMO_DEFAULTS };
  for (const [key, value] of Object.entries(options ?? {})) {
    if (!Object.hasOwn(DEMO_DEFAULTS, key)) throw new TypeError(`unknown option ${JSON.stringify(key)}`);
    if (value !== undefined) merged[key] = value;
  }
  const { count, seed, imageRatio, nowMs } = merged;
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a whole number >= 0, got ${count}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a whole number, got ${seed}`);
  if (typeof imageRatio !== 'number' || !(imageRatio >= 0 && imageRatio <= 1)) {
    throw new RangeError(`imageRatio must be a number from 0 to 1, got ${imageRatio}`);
  }
  if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be a finite number, got ${nowMs}`);
  return merged;
}

// ---------------------------------------------------------------------------------------------
// CSV

function csvField(value) {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function csvBody(fields, { spaced, crlf, trailingNewline }) {
  const cells = fields.map(csvField);
  // Padding after a separator would make a following quoted field non-conforming.
  const separator = spaced && cells.every((c, i) => c === fields[i]) ? ', ' : ',';
  const eol = crlf ? '\r\n' : '\n';
  const text = ['first_name', 'last_name', 'birthts'].join(separator) + eol + cells.join(separator) + (trailingNewline ? eol : '');
  return Buffer.from(text, 'utf8');
}

/** The first eight users walk through every separator / line-ending / final-newline combination. */
function csvFormat(index, random) {
  if (index < 8) return { spaced: (index & 1) === 1, crlf: (index & 2) === 2, trailingNewline: (index & 4) === 4 };
  return { spaced: random() < 0.5, crlf: random() < 0.25, trailingNewline: random() < 0.7 };
}

// ---------------------------------------------------------------------------------------------
// Images

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

// zlib.crc32 only arrived in Node 20.15; the engines field allows any 20.x.
function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
// 1x1, 8-bit truecolour, no interlace: everything but the pixel is the same for every image.
const PNG_HEADER = Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]))]);
const PNG_END = pngChunk('IEND', Buffer.alloc(0));

function onePixelPng([r, g, b]) {
  // Each scanline starts with its filter type; 0 means the bytes are stored as they are.
  const idat = pngChunk('IDAT', deflateSync(Buffer.from([0, r, g, b])));
  return Buffer.concat([PNG_HEADER, idat, PNG_END]);
}

/** Canonical Huffman codes from a DHT-style (counts per length, symbols) description. */
function huffmanCodes(counts, symbols) {
  const codes = new Map();
  let code = 0;
  let next = 0;
  for (let length = 1; length <= 16; length++) {
    for (let n = 0; n < counts[length - 1]; n++) codes.set(symbols[next++], { code: code++, length });
    code <<= 1;
  }
  return codes;
}

// The usual luminance DC table covers every DC size class; a flat block needs only EOB for AC.
const DC_COUNTS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_SYMBOLS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const AC_COUNTS = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const AC_SYMBOLS = [0x00];
const DC_CODES = huffmanCodes(DC_COUNTS, DC_SYMBOLS);
const EOB = huffmanCodes(AC_COUNTS, AC_SYMBOLS).get(0x00);

function jpegSegment(marker, payload) {
  const length = payload.length + 2;
  return Buffer.from([0xff, marker, length >> 8, length & 0xff, ...payload]);
}

const JPEG_HEAD = Buffer.concat([
  Buffer.from([0xff, 0xd8]),
  jpegSegment(0xe0, [...Buffer.from('JFIF\0', 'latin1'), 1, 1, 0, 0, 1, 0, 1, 0, 0]),
  // All-ones quantisation keeps the DC term exact, so the decoded colour is the one we chose.
  jpegSegment(0xdb, [0x00, ...new Array(64).fill(1)]),
  jpegSegment(0xc0, [8, 0, 1, 0, 1, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]),
  jpegSegment(0xc4, [0x00, ...DC_COUNTS, ...DC_SYMBOLS, 0x10, ...AC_COUNTS, ...AC_SYMBOLS]),
  jpegSegment(0xda, [3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]),
]);
const JPEG_END = Buffer.from([0xff, 0xd9]);

/**
 * A baseline JPEG of one pixel: a single flat 8x8 block per YCbCr component, so each block is
 * just its DC coefficient followed by end-of-block.
 */
function onePixelJpeg([r, g, b]) {
  const clamp = (v) => Math.min(255, Math.max(0, Math.round(v)));
  const samples = [
    clamp(0.299 * r + 0.587 * g + 0.114 * b),
    clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b),
    clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b),
  ];
  const out = [];
  let acc = 0;
  let filled = 0;
  const put = (value, length) => {
    for (let bit = length - 1; bit >= 0; bit--) {
      acc = (acc << 1) | ((value >> bit) & 1);
      if (++filled === 8) {
        out.push(acc);
        if (acc === 0xff) out.push(0x00); // byte stuffing, so data never looks like a marker
        acc = 0;
        filled = 0;
      }
    }
  };
  for (const sample of samples) {
    // Each component's DC predictor starts at zero, so the first difference is the value itself.
    const dc = 8 * (sample - 128);
    const size = dc === 0 ? 0 : 32 - Math.clz32(Math.abs(dc));
    const { code, length } = DC_CODES.get(size);
    put(code, length);
    put(dc >= 0 ? dc : dc + (1 << size) - 1, size);
    put(EOB.code, EOB.length);
  }
  while (filled !== 0) put(1, 1);
  return Buffer.concat([JPEG_HEAD, Buffer.from(out), JPEG_END]);
}

/**
 * Colours come from a 4096-entry palette (4 bits per channel). Multiplying by an odd constant is
 * a bijection modulo 4096, so any 4096 consecutive images differ; the palette also bounds how many
 * distinct images exist, which lets a 100k-user run compress each one once instead of 50k times.
 */
const PALETTE_SIZE = 4096;

function paletteIndex(index, seed) {
  return (Math.imul(index + 1, 0x9e3779) ^ Math.imul(seed, 0x2545f5)) & (PALETTE_SIZE - 1);
}

function paletteColour(entry) {
  return [(entry >>> 8) * 17, ((entry >>> 4) & 0xf) * 17, (entry & 0xf) * 17];
}

function imageMaker() {
  const cache = new Map();
  return (extension, entry) => {
    const key = `${extension}:${entry}`;
    let body = cache.get(key);
    if (!body) {
      const colour = paletteColour(entry);
      body = extension === 'png' ? onePixelPng(colour) : onePixelJpeg(colour);
      cache.set(key, body);
    }
    // A copy, so a caller that edits one file's bytes cannot change another's.
    return Buffer.from(body);
  };
}

// ---------------------------------------------------------------------------------------------
// Users

function birthRange(nowMs) {
  const now = new Date(nowMs);
  const [y, m, d] = [now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()];
  return { oldest: Date.UTC(y - MAX_AGE, m, d), youngest: Date.UTC(y - MIN_AGE, m, d), year: y };
}

function isLeapYear(year) {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function pick(list, random) {
  return list[Math.floor(random() * list.length)];
}

function imageExtension(index, imageRatio, random) {
  if (imageRatio <= 0) return null;
  const pinned = PINNED_IMAGES.get(index);
  // A pinned "no image" would contradict imageRatio 1, so that one pin yields to the ratio.
  if (pinned !== undefined && (pinned !== null || imageRatio < 1)) return pinned;
  if (random() >= imageRatio) return null;
  const kind = random();
  return kind < 0.05 ? 'jpg' : kind < 0.07 ? 'jpeg' : 'png';
}

/**
 * Yields `{ name, body }` one file at a time, so a 100k-user set never has to sit in memory.
 * Each user's CSV comes first, then its image; orphan images come last.
 */
export function iterateDemoFiles(options = {}) {
  // Checked here rather than inside the generator, so bad options fail at the call, not on first use.
  return demoFiles(checkOptions(options));
}

function* demoFiles({ count, seed, imageRatio, nowMs }) {
  const random = mulberry32(seed);
  const births = birthRange(nowMs);
  const spanDays = Math.floor((births.youngest - births.oldest) / DAY_MS);
  const image = imageMaker();
  let leapYear = births.year - 30;
  while (!isLeapYear(leapYear)) leapYear--;

  for (let index = 0; index < count; index++) {
    const special = SPECIAL_USERS.get(index) ?? {};
    const id = special.id ?? String(FIRST_USER_ID + index);
    const first = special.first ?? pick(FIRST_NAMES, random);
    const last = special.last ?? pick(LAST_NAMES, random);
    const birthts = special.leapDay ? Date.UTC(leapYear, 1, 29) : births.oldest + Math.floor(random() * (spanDays + 1)) * DAY_MS;
    yield { name: `${id}.csv`, body: csvBody([first, last, String(birthts)], csvFormat(index, random)) };

    const extension = imageExtension(index, imageRatio, random);
    if (extension) yield { name: `${id}.${extension}`, body: image(extension, paletteIndex(index, seed)) };
  }

  const orphans = count === 0 ? 0 : Math.max(1, Math.floor(count / USERS_PER_ORPHAN));
  for (let n = 1; n <= orphans; n++) {
    yield { name: `orphan-${n}.png`, body: image('png', paletteIndex(count + n, seed)) };
  }
}

/** The whole demo set as an array; see `iterateDemoFiles` for large counts. */
export function generateDemoFiles(options = {}) {
  return [...iterateDemoFiles(options)];
}

// ---------------------------------------------------------------------------------------------
// CLI

const GENERATED_FILE = /\.(csv|png|jpe?g)$/i;
const USAGE = 'usage: node scripts/generate-demo.mjs [--count N] [--seed S] [--image-ratio R] [--out DIR]';

function parseNumber(name, text, fallback) {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new RangeError(`--${name} must be a number, got ${JSON.stringify(text)}`);
  return value;
}

function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      count: { type: 'string' },
      seed: { type: 'string' },
      'image-ratio': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const options = {
    count: parseNumber('count', values.count, DEMO_DEFAULTS.count),
    seed: parseNumber('seed', values.seed, DEMO_DEFAULTS.seed),
    imageRatio: parseNumber('image-ratio', values['image-ratio'], DEMO_DEFAULTS.imageRatio),
  };
  const out = values.out ?? 'data';
  // Validate before touching the folder, so a typo never wipes the existing set.
  const files = iterateDemoFiles(options);

  mkdirSync(out, { recursive: true });
  let removed = 0;
  for (const entry of readdirSync(out, { withFileTypes: true })) {
    if (entry.isFile() && GENERATED_FILE.test(entry.name)) {
      unlinkSync(path.join(out, entry.name));
      removed++;
    }
  }

  const csvIds = new Set();
  const imageIds = [];
  let bytes = 0;
  for (const { name, body } of files) {
    writeFileSync(path.join(out, name), body);
    bytes += body.length;
    const id = name.slice(0, name.lastIndexOf('.'));
    if (name.endsWith('.csv')) csvIds.add(id);
    else imageIds.push(id);
  }
  const orphans = imageIds.filter((id) => !csvIds.has(id)).length;
  console.log(
    `generate-demo: wrote ${csvIds.size} users, ${imageIds.length - orphans} with images, ${orphans} orphan image(s) ` +
      `(${(bytes / 1024).toFixed(1)} KiB) to ${out.replace(/[\\/]+$/, '')}/ with seed ${options.seed}; removed ${removed} old file(s)`,
  );
}

function invokedDirectly() {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`generate-demo: ${error instanceof Error ? error.message : String(error)}`);
    console.error(USAGE);
    process.exitCode = 2;
  }
}
