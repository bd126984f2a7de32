/**
 * Ordering of Jenkins plugin versions, close to Jenkins' `hudson.util.VersionNumber` for the
 * shapes plugins use: `1.45`, `2.18.3`, `5.0.0`, and incremental versions
 * `<build>.v<commit hash>` (`1098.v808b_fd7f8cf4`, `1571.1580.v18e46842c125`).
 */

/** Tokens of a version: numbers as numbers, anything else as lower-case text. */
function tokens(version: string): (number | string)[] {
  return version
    .trim()
    .split(/[.\-_]/)
    .filter((part) => part !== '')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part.toLowerCase()));
}

/**
 * Compares two versions: negative when `a` is older, positive when newer, 0 when equal or not
 * orderable. Numeric parts compare as numbers; an incremental version's commit-hash part
 * (`v808b...`) is not ordered (two builds with the same number compare equal); a missing numeric
 * part counts as 0 (`5.0` = `5.0.0`); a text qualifier after the numbers (`-beta`, `-SNAPSHOT`)
 * makes the version older than the same numbers without one.
 */
export function compareVersions(a: string, b: string): number {
  const left = tokens(a);
  const right = tokens(b);
  const length = Math.max(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const x = left[i];
    const y = right[i];
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return x < y ? -1 : 1;
      continue;
    }
    if (typeof x === 'string' && typeof y === 'string') {
      // Incremental builds: `v<hash>` parts carry no order.
      if (x.startsWith('v') || y.startsWith('v')) return 0;
      if (x !== y) return x < y ? -1 : 1;
      continue;
    }
    // One side ended or has text where the other has a number.
    if (x === undefined) {
      if (typeof y === 'number') {
        if (y !== 0) return -1;
        continue;
      }
      return isQualifier(y) ? 1 : 0;
    }
    if (y === undefined) {
      if (typeof x === 'number') {
        if (x !== 0) return 1;
        continue;
      }
      return isQualifier(x) ? -1 : 0;
    }
    // number vs text: the number is the newer release (`1.2.1` > `1.2-beta`), but an
    // incremental hash part against a number is not ordered.
    const text = typeof x === 'string' ? x : (y as string);
    if (text.startsWith('v')) return 0;
    return typeof x === 'number' ? 1 : -1;
  }
  return 0;
}

function isQualifier(part: string | number | undefined): boolean {
  return typeof part === 'string' && !part.startsWith('v');
}
