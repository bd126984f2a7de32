/**
 * Jenkinsfile bytes → text, strictly. Jenkins reads a Jenkinsfile as UTF-8 and silently turns
 * invalid bytes into U+FFFD, so a Latin-1 `ü` in a shell command or a message changes without a
 * trace; `validate` and `import` refuse such a file instead, naming where the first invalid
 * sequence is, unless told the file's real encoding (then they convert it, and say so).
 *
 * A UTF-8 byte order mark is dropped: Groovy skips it too, and it is not part of the pipeline.
 */

/** Encodings a Jenkinsfile may be read in (`--encoding`). */
export const JENKINSFILE_ENCODINGS = ['utf-8', 'latin1', 'windows-1252'] as const;
export type JenkinsfileEncoding = (typeof JENKINSFILE_ENCODINGS)[number];

export interface DecodedJenkinsfile {
  text: string;
  /** True when a UTF-8 byte order mark was dropped. */
  bom: boolean;
}

/** The bytes are not valid in the expected encoding; `offset` is the first invalid byte. */
export class JenkinsfileEncodingError extends Error {
  readonly offset: number;
  /** 1-based line and column (in characters) of the first invalid byte. */
  readonly line: number;
  readonly column: number;
  constructor(message: string, offset: number, line: number, column: number) {
    super(message);
    this.offset = offset;
    this.line = line;
    this.column = column;
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/**
 * Windows-1252 for 0x80–0x9F (the rest is ISO-8859-1); the five unassigned bytes keep their C1
 * code points, as the WHATWG encoding standard maps them. Node 20's TextDecoder('windows-1252')
 * decodes these bytes as ISO-8859-1, hence the table.
 */
const WINDOWS_1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/** Whether `value` names a supported encoding (`utf8` and `cp1252`/`iso-8859-1` spellings too). */
export function parseJenkinsfileEncoding(value: string): JenkinsfileEncoding | undefined {
  const name = value.toLowerCase();
  if (name === 'utf-8' || name === 'utf8') return 'utf-8';
  if (name === 'latin1' || name === 'latin-1' || name === 'iso-8859-1' || name === 'iso8859-1') return 'latin1';
  if (name === 'windows-1252' || name === 'cp1252') return 'windows-1252';
  return undefined;
}

/**
 * Decodes a Jenkinsfile. UTF-8 (the default) is decoded strictly: an invalid byte sequence throws
 * a {@link JenkinsfileEncodingError}. `latin1` is ISO-8859-1 (every byte is its code point);
 * `windows-1252` maps 0x80–0x9F to `€`, `‚`, … as Windows does. Neither can fail.
 */
export function decodeJenkinsfile(bytes: Uint8Array, encoding: JenkinsfileEncoding = 'utf-8'): DecodedJenkinsfile {
  if (encoding === 'latin1') return { text: singleByte(bytes, (b) => b), bom: false };
  if (encoding === 'windows-1252') return { text: singleByte(bytes, (b) => (b >= 0x80 && b <= 0x9f ? WINDOWS_1252_HIGH[b - 0x80]! : b)), bom: false };
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = bom ? bytes.subarray(3) : bytes;
  try {
    return { text: UTF8.decode(body), bom };
  } catch {
    const invalid = firstInvalidUtf8(body);
    const offset = invalid + (bom ? 3 : 0);
    const lineStart = body.lastIndexOf(0x0a, invalid - 1) + 1;
    let line = 1;
    for (let k = 0; k < lineStart; k++) if (body[k] === 0x0a) line++;
    const column = [...UTF8.decode(body.subarray(lineStart, invalid))].length + 1;
    const byte = `0x${body[invalid]!.toString(16).toUpperCase().padStart(2, '0')}`;
    throw new JenkinsfileEncodingError(
      `not valid UTF-8 at line ${line}, column ${column} (byte ${byte} at offset ${offset}); ` +
        'Jenkins would read it with U+FFFD in place of those bytes. Convert the file to UTF-8, or give its encoding: --encoding latin1 or --encoding windows-1252',
      offset,
      line,
      column,
    );
  }
}

/** Text of a single-byte encoding: each byte is one character (all in the BMP). */
function singleByte(bytes: Uint8Array, codePoint: (byte: number) => number): string {
  let text = '';
  for (let k = 0; k < bytes.length; k += 8192) text += String.fromCharCode(...Array.from(bytes.subarray(k, k + 8192), codePoint));
  return text;
}

/** Offset of the first byte of the first ill-formed UTF-8 sequence (Unicode table 3-7), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const inRange = (k: number, low: number, high: number) => k < bytes.length && bytes[k]! >= low && bytes[k]! <= high;
  for (let k = 0; k < bytes.length; ) {
    const b = bytes[k]!;
    let length = 0;
    if (b <= 0x7f) length = 1;
    else if (b >= 0xc2 && b <= 0xdf) length = inRange(k + 1, 0x80, 0xbf) ? 2 : 0;
    else if (b >= 0xe0 && b <= 0xef) {
      const [low, high] = b === 0xe0 ? [0xa0, 0xbf] : b === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
      length = inRange(k + 1, low, high) && inRange(k + 2, 0x80, 0xbf) ? 3 : 0;
    } else if (b >= 0xf0 && b <= 0xf4) {
      const [low, high] = b === 0xf0 ? [0x90, 0xbf] : b === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
      length = inRange(k + 1, low, high) && inRange(k + 2, 0x80, 0xbf) && inRange(k + 3, 0x80, 0xbf) ? 4 : 0;
    }
    if (length === 0) return k;
    k += length;
  }
  return -1;
}
