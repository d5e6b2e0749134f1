import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, generateDemoFiles, iterateDemoFiles, type DemoFile } from '../../scripts/generate-demo.mjs';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const script = path.join(repoRoot, 'scripts', 'generate-demo.mjs');

const IMAGE_EXTENSION = /\.(png|jpe?g)$/;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// zlib.crc32 exists from Node 20.15 on; the project accepts any Node 20, so keep a fallback.
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  if (typeof zlib.crc32 === 'function') return zlib.crc32(bytes);
  let crc = 0xffffffff;
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function baseName(name: string): string {
  return name.slice(0, name.lastIndexOf('.'));
}

interface ParsedCsv {
  id: string;
  text: string;
  header: string[];
  rows: string[][];
}

function parseCsv(file: DemoFile): ParsedCsv {
  const text = file.body.toString('utf8');
  const result = Papa.parse<string[]>(text, { delimiter: ',', skipEmptyLines: true });
  expect(result.errors, file.name).toEqual([]);
  const [header = [], ...rows] = result.data.map((row) => row.map((cell) => cell.trim()));
  return { id: baseName(file.name), text, header, rows };
}

interface Survey {
  csvs: ParsedCsv[];
  images: DemoFile[];
  csvIds: Set<string>;
  imageIds: Set<string>;
}

function survey(files: DemoFile[]): Survey {
  const csvs = files.filter((f) => f.name.endsWith('.csv')).map(parseCsv);
  const images = files.filter((f) => IMAGE_EXTENSION.test(f.name));
  return { csvs, images, csvIds: new Set(csvs.map((c) => c.id)), imageIds: new Set(images.map((f) => baseName(f.name))) };
}

/** Walks the chunks, checking each CRC; returns them in file order. */
function pngChunks(body: Buffer): { type: string; data: Buffer }[] {
  expect(body.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  const chunks = [];
  let at = 8;
  while (at < body.length) {
    const length = body.readUInt32BE(at);
    const type = body.toString('latin1', at + 4, at + 8);
    const data = body.subarray(at + 8, at + 8 + length);
    const stored = body.readUInt32BE(at + 8 + length);
    expect(crc32(body.subarray(at + 4, at + 8 + length)), `CRC of ${type}`).toBe(stored);
    chunks.push({ type, data });
    at += 12 + length;
  }
  expect(at).toBe(body.length);
  return chunks;
}

/** Marker segments up to the scan; enough to know a decoder will accept the frame. */
function jpegSegments(body: Buffer): Map<number, Buffer> {
  expect([body[0], body[1]]).toEqual([0xff, 0xd8]);
  expect([body.at(-2), body.at(-1)]).toEqual([0xff, 0xd9]);
  const segments = new Map<number, Buffer>();
  let at = 2;
  for (;;) {
    expect(body[at]).toBe(0xff);
    const marker = body[at + 1]!;
    const length = body.readUInt16BE(at + 2);
    segments.set(marker, body.subarray(at + 4, at + 2 + length));
    at += 2 + length;
    if (marker === 0xda) break;
  }
  return segments;
}

describe('generateDemoFiles', () => {
  const files = generateDemoFiles();
  const demo = survey(files);

  it('is deterministic: the same seed gives byte-identical files, another seed different ones', () => {
    const again = generateDemoFiles({ seed: DEMO_DEFAULTS.seed });
    expect(again.map((f) => f.name)).toEqual(files.map((f) => f.name));
    expect(again.every((f, i) => f.body.equals(files[i]!.body))).toBe(true);

    const other = generateDemoFiles({ seed: 7 });
    const otherBytes = Buffer.concat(other.map((f) => Buffer.concat([Buffer.from(f.name), f.body])));
    const ownBytes = Buffer.concat(files.map((f) => Buffer.concat([Buffer.from(f.name), f.body])));
    expect(otherBytes.equals(ownBytes)).toBe(false);
  });

  it('has the same content whether iterated or built as an array', () => {
    const iterated = [...iterateDemoFiles({ count: 60, seed: 3 })];
    const built = generateDemoFiles({ count: 60, seed: 3 });
    expect(iterated.map((f) => f.name)).toEqual(built.map((f) => f.name));
    expect(iterated.every((f, i) => f.body.equals(built[i]!.body))).toBe(true);
  });

  it.each([0, 1, 19, 20, 150, 1234])('writes one CSV per user, with unique names (count %i)', (count) => {
    const set = generateDemoFiles({ count });
    const names = set.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => n.endsWith('.csv'))).toHaveLength(count);
    expect(names.every((n) => n.endsWith('.csv') || IMAGE_EXTENSION.test(n))).toBe(true);
  });

  it('defaults to 150 users, mostly with numeric ids from 1001, about half of them with an image', () => {
    expect(demo.csvs).toHaveLength(150);
    const numeric = demo.csvs.filter((c) => /^\d+$/.test(c.id)).map((c) => Number(c.id));
    expect(numeric.length).toBeGreaterThanOrEqual(148);
    expect(Math.min(...numeric)).toBe(1001);
    const withImage = demo.csvs.filter((c) => demo.imageIds.has(c.id)).length;
    expect(withImage).toBeGreaterThan(50);
    expect(withImage).toBeLessThan(100);
  });

  it('parses every CSV into the three-column header and exactly one row with an integer birthts', () => {
    for (const csv of demo.csvs) {
      expect(csv.header, csv.id).toEqual(['first_name', 'last_name', 'birthts']);
      expect(csv.rows, csv.id).toHaveLength(1);
      const [first, last, birthts] = csv.rows[0]!;
      expect(first, csv.id).not.toBe('');
      expect(last, csv.id).not.toBe('');
      expect(birthts, csv.id).toMatch(/^-?\d+$/);
      expect(Number.isSafeInteger(Number(birthts)), csv.id).toBe(true);
    }
  });

  it('spreads birth dates over ages 18 to 90 at the reference date, with a 29 February among them', () => {
    const now = new Date(DEMO_DEFAULTS.nowMs);
    const ages = demo.csvs.map((c) => {
      const born = new Date(Number(c.rows[0]![2]));
      const hadBirthday = now.getUTCMonth() > born.getUTCMonth() || (now.getUTCMonth() === born.getUTCMonth() && now.getUTCDate() >= born.getUTCDate());
      return now.getUTCFullYear() - born.getUTCFullYear() - (hadBirthday ? 0 : 1);
    });
    expect(Math.min(...ages)).toBeGreaterThanOrEqual(18);
    expect(Math.max(...ages)).toBeLessThanOrEqual(90);
    expect(Math.max(...ages) - Math.min(...ages)).toBeGreaterThan(40);
    const leapDay = demo.csvs.filter((c) => {
      const born = new Date(Number(c.rows[0]![2]));
      return born.getUTCMonth() === 1 && born.getUTCDate() === 29;
    });
    expect(leapDay.length).toBeGreaterThanOrEqual(1);
  });

  it('makes every image file a well-formed PNG or JPEG, and no two alike', () => {
    const pngs = demo.images.filter((f) => f.name.endsWith('.png'));
    const jpegs = demo.images.filter((f) => /\.jpe?g$/.test(f.name));
    expect(pngs.length).toBeGreaterThan(0);
    for (const png of pngs) {
      const chunks = pngChunks(png.body);
      expect(
        chunks.map((c) => c.type),
        png.name,
      ).toEqual(['IHDR', 'IDAT', 'IEND']);
      const ihdr = chunks[0]!.data;
      expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]], png.name).toEqual([1, 1, 8, 2]);
      // One scanline: filter byte plus one RGB pixel.
      expect(zlib.inflateSync(chunks[1]!.data), png.name).toHaveLength(4);
    }
    for (const jpeg of jpegs) {
      const segments = jpegSegments(jpeg.body);
      const frame = segments.get(0xc0);
      expect(frame, `${jpeg.name} has a baseline frame`).toBeDefined();
      expect([frame!.readUInt16BE(1), frame!.readUInt16BE(3), frame![5]], jpeg.name).toEqual([1, 1, 3]);
      expect(segments.has(0xdb) && segments.has(0xc4), `${jpeg.name} has quantisation and Huffman tables`).toBe(true);
    }
    const distinct = new Set(demo.images.map((f) => f.body.toString('base64')));
    expect(distinct.size).toBe(demo.images.length);
  });

  it('can be switched to all or no user images', () => {
    const all = survey(generateDemoFiles({ count: 40, imageRatio: 1 }));
    expect([...all.csvIds].every((id) => all.imageIds.has(id))).toBe(true);
    const none = survey(generateDemoFiles({ count: 40, imageRatio: 0 }));
    expect([...none.csvIds].some((id) => none.imageIds.has(id))).toBe(false);
  });

  it('rejects options it cannot honour before producing anything', () => {
    expect(() => iterateDemoFiles({ count: -1 })).toThrow(RangeError);
    expect(() => iterateDemoFiles({ count: 1.5 })).toThrow(/count/);
    expect(() => iterateDemoFiles({ imageRatio: 2 })).toThrow(/imageRatio/);
    expect(() => iterateDemoFiles({ seed: Number.NaN })).toThrow(/seed/);
    expect(() => iterateDemoFiles({ imageratio: 0.1 } as never)).toThrow(/unknown option "imageratio"/);
  });

  it('streams 100,000 users', () => {
    let csvs = 0;
    let images = 0;
    for (const file of iterateDemoFiles({ count: 100_000 })) {
      if (file.name.endsWith('.csv')) csvs++;
      else images++;
    }
    expect(csvs).toBe(100_000);
    expect(images).toBeGreaterThan(40_000);
    expect(images).toBeLessThan(60_000);
  });
});

describe.each([20, 150])('the awkward cases the service must handle (count %i)', (count) => {
  const demo = survey(generateDemoFiles({ count }));
  const fields = demo.csvs.flatMap((c) => c.rows[0]!.slice(0, 2));

  it('has names with non-ASCII letters', () => {
    for (const name of ['Łukasz', 'Zoë', 'José', 'Ólafur', 'Søren', 'Мария']) expect(fields).toContain(name);
  });

  it('quotes a name with a comma and one with a double quote as RFC 4180 says', () => {
    const comma = demo.csvs.find((c) => c.rows[0]!.some((f) => f.includes(',')));
    expect(comma).toBeDefined();
    const commaName = comma!.rows[0]!.find((f) => f.includes(','))!;
    expect(comma!.text).toContain(`"${commaName}"`);

    const quote = demo.csvs.find((c) => c.rows[0]!.some((f) => f.includes('"')));
    expect(quote).toBeDefined();
    const quoteName = quote!.rows[0]!.find((f) => f.includes('"'))!;
    expect(quote!.text).toContain(`"${quoteName.replaceAll('"', '""')}"`);

    // Padding before an opening quote would turn the quotes into literal characters.
    for (const csv of demo.csvs) expect(csv.text, csv.id).not.toMatch(/,[ \t]+"|^[ \t]+"/m);
  });

  it('has users without an image and an image without a user', () => {
    expect([...demo.csvIds].some((id) => !demo.imageIds.has(id))).toBe(true);
    expect([...demo.imageIds].some((id) => !demo.csvIds.has(id))).toBe(true);
  });

  it('has a user id that is not a number', () => {
    expect([...demo.csvIds].some((id) => !/^\d+$/.test(id))).toBe(true);
  });

  it('mixes ", " and "," separators, LF and CRLF line ends, with and without a final newline', () => {
    const header = (c: ParsedCsv) => c.text.slice(0, c.text.search(/\r?\n/));
    expect(demo.csvs.some((c) => header(c) === 'first_name, last_name, birthts')).toBe(true);
    expect(demo.csvs.some((c) => header(c) === 'first_name,last_name,birthts')).toBe(true);
    expect(demo.csvs.some((c) => c.text.includes('\r\n'))).toBe(true);
    expect(demo.csvs.some((c) => !c.text.includes('\r'))).toBe(true);
    expect(demo.csvs.some((c) => c.text.endsWith('\n'))).toBe(true);
    expect(demo.csvs.some((c) => !c.text.endsWith('\n'))).toBe(true);
  });

  it('has someone born on 29 February', () => {
    const born = demo.csvs.map((c) => new Date(Number(c.rows[0]![2])));
    expect(born.some((d) => d.getUTCMonth() === 1 && d.getUTCDate() === 29)).toBe(true);
  });
});

describe('the command line', () => {
  it('replaces old demo files in the output folder and leaves other files alone', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'udt-demo-'));
    try {
      await writeFile(path.join(out, 'stale.csv'), 'x');
      await writeFile(path.join(out, 'stale.jpg'), 'x');
      await writeFile(path.join(out, 'notes.txt'), 'keep me');
      const { stdout } = await run(process.execPath, [script, '--count', '25', '--seed', '7', '--out', out]);
      expect(stdout.trim().split('\n')).toHaveLength(1);
      expect(stdout).toMatch(/25 users/);

      const expected = generateDemoFiles({ count: 25, seed: 7 });
      const written = (await readdir(out)).sort();
      expect(written).toEqual([...expected.map((f) => f.name), 'notes.txt'].sort());
      for (const file of expected) expect((await readFile(path.join(out, file.name))).equals(file.body), file.name).toBe(true);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('exits with status 2 on a bad argument without touching the folder', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'udt-demo-'));
    try {
      await writeFile(path.join(out, 'old.csv'), 'x');
      for (const args of [
        ['--count', 'lots'],
        ['--count', '-3'],
        ['--colour', 'red'],
      ]) {
        const failure = await run(process.execPath, [script, ...args, '--out', out]).then(
          () => null,
          (error: { code: number; stderr: string }) => error,
        );
        expect(failure?.code, args.join(' ')).toBe(2);
        expect(failure?.stderr).toMatch(/usage:/);
      }
      expect(await readdir(out)).toEqual(['old.csv']);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('the committed data/ folder', () => {
  it('is exactly what the generator produces with its defaults', async () => {
    const dataDir = path.join(repoRoot, 'data');
    const committed = (await readdir(dataDir)).filter((n) => n.endsWith('.csv') || IMAGE_EXTENSION.test(n)).sort();
    const expected = generateDemoFiles();
    expect(committed).toEqual(expected.map((f) => f.name).sort());
    for (const file of expected) {
      expect((await readFile(path.join(dataDir, file.name))).equals(file.body), `${file.name} is stale: run npm run demo-data`).toBe(true);
    }
  });
});
