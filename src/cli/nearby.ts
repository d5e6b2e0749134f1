import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Folders looked into, at most: a source given as `/` or a home folder must not cost a walk. */
const MAX_FOLDERS = 200;

/**
 * The folders right below `dir` that hold user CSVs, most first, with how many each holds: where
 * the files probably are when `dir` itself has none (`--source .` for `--source data`).
 */
export async function foldersWithUserFiles(dir: string): Promise<{ dir: string; csvs: number }[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).slice(0, MAX_FOLDERS);
  const found = await Promise.all(
    folders.map(async (folder) => {
      const files = await readdir(path.join(dir, folder.name)).catch(() => [] as string[]);
      return { dir: path.join(dir, folder.name), csvs: files.filter((f) => /\.csv$/i.test(f)).length };
    }),
  );
  return found.filter((f) => f.csvs > 0).sort((a, b) => b.csvs - a.csvs || (a.dir < b.dir ? -1 : 1));
}
