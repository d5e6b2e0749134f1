/**
 * The rules for keys and prefixes that people type, shared by the service's settings and the
 * command line's flags: each returns what is wrong, in words, or `null`; callers name the setting.
 */

/** Whether `value` is a relative key inside the store: not absolute, no empty, `.` or `..` segment. */
export function isRelativeKey(value: string): boolean {
  return !value.startsWith('/') && !value.split('/').some((s) => s === '..' || s === '.' || s === '');
}

/** A prefix as a folder: `data` means `data/`, since user files are named by folder. `''` is the root. */
export function asFolder(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** Why a folder prefix cannot be a source (`./data`, `/data`, `../data`), or `null`. */
export function sourcePrefixProblem(prefix: string): string | null {
  if (prefix === '') return null;
  return isRelativeKey(prefix.replace(/\/$/, '')) ? null : 'must be a folder inside the store such as data/ (relative; no ., .. or empty segments)';
}

/**
 * Why `key` cannot be written to (`OUTPUT_KEY`, `--key`, the snapshot), or `null`: it must be a
 * relative key, and not directly in the source folder, where the next sync would read it back as
 * a user.
 */
export function writeKeyProblem(key: string, sourcePrefix: string): string | null {
  if (!isRelativeKey(key)) return 'must be a relative key such as processed_data/output.csv';
  if (isDirectlyIn(key, sourcePrefix)) {
    const where = sourcePrefix === '' ? 'the source folder' : sourcePrefix;
    return `must not be directly in ${where}, where the next sync would read it back as a user; use a sub-folder such as processed_data/`;
  }
  return null;
}

/** Whether `key` names an object directly in the folder `prefix` (not in a sub-folder). */
export function isDirectlyIn(key: string, prefix: string): boolean {
  return key.startsWith(prefix) && !key.slice(prefix.length).includes('/');
}
