import { describe, expect, it } from 'vitest';
import { ListingClassifier } from '../../src/sync/listing.js';
import type { ObjectInfo } from '../../src/storage/ObjectStore.js';

/** A whole listing sorted at once, as a sync sorts it batch by batch. */
async function classifyListing(objects: ObjectInfo[], prefix: string, imageExtensions: ReadonlySet<string>) {
  const classifier = new ListingClassifier(prefix, imageExtensions);
  classifier.add(objects);
  return classifier.finish();
}

const obj = (key: string, modified = '2026-01-01T00:00:00Z') => ({ key, etag: 'e', size: 1, lastModified: new Date(modified) });
const IMAGES = new Set(['png', 'jpg', 'jpeg']);

describe('classifyListing', () => {
  it('takes the most recently modified image when a user has several', async () => {
    const { images } = await classifyListing(
      [obj('p/7.png', '2026-01-01T00:00:00Z'), obj('p/7.JPG', '2026-03-01T00:00:00Z'), obj('p/7.jpeg', '2026-02-01T00:00:00Z')],
      'p/',
      IMAGES,
    );
    expect(images.get('7')?.key).toBe('p/7.JPG');
  });

  it('breaks a modification-time tie by key so the choice is stable', async () => {
    const a = await classifyListing([obj('p/7.jpg'), obj('p/7.png')], 'p/', IMAGES);
    const b = await classifyListing([obj('p/7.png'), obj('p/7.jpg')], 'p/', IMAGES);
    expect(a.images.get('7')?.key).toBe('p/7.png');
    expect(b.images.get('7')?.key).toBe('p/7.png');
  });

  it('uses the name without its last extension as the id, and ignores sub-folders and other files', async () => {
    const r = await classifyListing([obj('p/a.b.csv'), obj('p/x/1.csv'), obj('p/readme'), obj('p/1.gif'), obj('p/2.CSV')], 'p/', IMAGES);
    expect(r.csvs.ids).toEqual(['a.b', '2']);
    expect(r.ignored).toBe(3);
  });

  it('honours a custom set of image extensions', async () => {
    const r = await classifyListing([obj('p/1.webp'), obj('p/1.png')], 'p/', new Set(['webp']));
    expect(r.images.get('1')?.key).toBe('p/1.webp');
    expect(r.ignored).toBe(1);
  });

  it('reports a CSV with no user id and a second CSV for the same id', async () => {
    const r = await classifyListing([obj('p/.csv'), obj('p/5.CSV'), obj('p/5.csv')], 'p/', IMAGES);
    expect(r.failures).toEqual([
      { key: 'p/.csv', reason: 'the file name has no user id before its extension' },
      { key: 'p/5.csv', reason: 'user id 5 is already provided by p/5.CSV' },
    ]);
  });
});
