/**
 * Jenkinsfile bytes are decoded strictly (src/jenkinsfile/decode.ts). Until 2026-12-06 `validate`
 * and `import` read files with Node's lenient UTF-8 decoding: a Latin-1 `ü` became U+FFFD and
 * `import` still reported "round trip OK"; a file starting with a byte order mark was "not a
 * declarative Jenkinsfile" although Groovy compiles it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeJenkinsfile, firstInvalidUtf8, JenkinsfileEncodingError } from '../../src/jenkinsfile/decode.ts';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { groovyParse } from '../groovy/client.ts';
import { createTempProject, runCli, type TempProject } from '../support/temp-project.ts';

const bytes = (...values: number[]) => Uint8Array.from(values);
const ascii = (text: string) => Uint8Array.from(Buffer.from(text, 'latin1'));

/** A pipeline whose echo message is `message` (Latin-1 bytes when `latin1`). */
function jenkinsfile(message: string, encoding: 'utf8' | 'latin1'): Buffer {
  return Buffer.from(`pipeline {\n  agent any\n  stages {\n    stage('a') {\n      steps {\n        echo '${message}'\n      }\n    }\n  }\n}\n`, encoding);
}

describe('decodeJenkinsfile', () => {
  it('decodes valid UTF-8, and drops a byte order mark (saying so)', () => {
    expect(decodeJenkinsfile(Buffer.from('echo "grüß €😀"'))).toEqual({ text: 'echo "grüß €😀"', bom: false });
    expect(decodeJenkinsfile(bytes(0xef, 0xbb, 0xbf, 0x61))).toEqual({ text: 'a', bom: true });
    // Only a leading BOM is one; elsewhere U+FEFF is text.
    expect(decodeJenkinsfile(bytes(0x61, 0xef, 0xbb, 0xbf))).toEqual({ text: 'a\uFEFF', bom: false });
  });

  it('refuses invalid UTF-8 with the line, column and byte offset of the first invalid byte', () => {
    const text = Buffer.concat([Buffer.from('pipeline {\n  // ü ok\n  echo "gr'), bytes(0xfc, 0xdf), Buffer.from('"\n}\n')]);
    let error: unknown;
    try {
      decodeJenkinsfile(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(JenkinsfileEncodingError);
    const { offset, line, column, message } = error as JenkinsfileEncodingError;
    expect(offset).toBe(Buffer.from('pipeline {\n  // ü ok\n  echo "gr').length);
    expect([line, column]).toEqual([3, 11]);
    expect(message).toBe(
      'not valid UTF-8 at line 3, column 11 (byte 0xFC at offset 32); Jenkins would read it with U+FFFD in place of those bytes. ' +
        'Convert the file to UTF-8, or give its encoding: --encoding latin1 or --encoding windows-1252',
    );
    // After a BOM, offsets still count from the start of the file.
    expect(() => decodeJenkinsfile(bytes(0xef, 0xbb, 0xbf, 0x61, 0xff))).toThrow('(byte 0xFF at offset 4)');
  });

  it.each([
    ['a lone continuation byte', [0x61, 0x80], 1],
    ['an overlong encoding', [0xc0, 0x80], 0],
    ['an encoded surrogate', [0xed, 0xa0, 0x80], 0],
    ['a sequence cut off at the end', [0x61, 0xe2, 0x82], 1],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['0xF5', [0xf5, 0x80, 0x80, 0x80], 0],
  ])('finds %s', (_what, values, offset) => {
    expect(firstInvalidUtf8(bytes(...values))).toBe(offset);
    expect(() => decodeJenkinsfile(bytes(...values))).toThrow(JenkinsfileEncodingError);
  });

  it('agrees with the strict TextDecoder on random bytes: invalid exactly when it throws, the prefix before the offset valid', () => {
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16) % 256;
    let invalid = 0;
    for (let n = 0; n < 3000; n++) {
      // Mostly well-formed text with a few random bytes mixed in.
      const parts = Array.from({ length: 6 }, () => (random() < 200 ? [...Buffer.from(['a', 'ü', '€', '😀', '\n'][random() % 5]!)] : [random()]));
      const sample = Uint8Array.from(parts.flat());
      const offset = firstInvalidUtf8(sample);
      let throws = false;
      try {
        strict.decode(sample);
      } catch {
        throws = true;
      }
      expect(offset >= 0, Buffer.from(sample).toString('hex')).toBe(throws);
      if (offset >= 0) {
        invalid++;
        expect(() => strict.decode(sample.subarray(0, offset))).not.toThrow();
      }
    }
    expect(invalid).toBeGreaterThan(100);
  });

  it('converts latin1 (ISO-8859-1) and windows-1252 when told', () => {
    expect(decodeJenkinsfile(bytes(0x67, 0x72, 0xfc, 0xdf), 'latin1').text).toBe('grüß');
    expect(decodeJenkinsfile(bytes(0x80, 0x9f, 0xe9), 'latin1').text).toBe('\u0080\u009fé');
    expect(decodeJenkinsfile(bytes(0x80, 0x8a, 0x93, 0x94, 0x81, 0xe9), 'windows-1252').text).toBe('€Š“”\u0081é');
    expect(decodeJenkinsfile(ascii('plain'), 'windows-1252').text).toBe('plain');
  });
});

describe('validate and import refuse a file that is not UTF-8, or convert it when told its encoding', () => {
  let project: TempProject | undefined;
  afterEach(() => project?.remove());

  const refusal = (file: string) =>
    `cannot read ${file}: not valid UTF-8 at line 6, column 17 (byte 0xFC at offset 81); Jenkins would read it with U+FFFD in place of those bytes. ` +
    'Convert the file to UTF-8, or give its encoding: --encoding latin1 or --encoding windows-1252\n';

  it('validate: exit 2 naming the file and the first invalid byte; --encoding latin1 validates it', async () => {
    project = createTempProject();
    writeFileSync(project.path('latin1.Jenkinsfile'), jenkinsfile('grüß', 'latin1'));
    const refused = await runCli(['validate', 'latin1.Jenkinsfile'], project.root);
    expect(refused.stderr).toBe(`pipewright validate: ${refusal('latin1.Jenkinsfile')}`);
    expect(refused.stdout).toBe('');
    expect(refused.code).toBe(2);
    const converted = await runCli(['validate', '--encoding', 'latin1', 'latin1.Jenkinsfile'], project.root);
    expect(converted.stdout).toBe('Jenkinsfile successfully validated.\n');
    expect(converted.code).toBe(0);
    const badOption = await runCli(['validate', '--encoding', 'ebcdic', 'latin1.Jenkinsfile'], project.root);
    expect(badOption.stderr).toMatch(/^pipewright validate: --encoding must be utf-8, latin1 or windows-1252, not "ebcdic"/);
    expect(badOption.code).toBe(2);
  });

  it('import: refused (exit 2, nothing written) instead of "round trip OK" with U+FFFD; --encoding latin1 converts, with a note', async () => {
    project = createTempProject();
    writeFileSync(project.path('latin1.Jenkinsfile'), jenkinsfile('grüß', 'latin1'));
    const refused = await runCli(['import', 'latin1.Jenkinsfile'], project.root);
    expect(refused.stderr).toBe(`pipewright import: ${refusal('latin1.Jenkinsfile')}`);
    expect(refused.stdout).toBe('1 Jenkinsfile: 0 imported (round trip OK), 0 refused, 0 failed the round trip, 1 unreadable\n');
    expect(refused.code).toBe(2);
    expect(() => readFileSync(project!.path('pipelines/latin1.pipeline.ts'))).toThrow();

    const converted = await runCli(['import', '--encoding', 'latin1', 'latin1.Jenkinsfile'], project.root);
    expect(converted.stdout).toContain('latin1.Jenkinsfile → pipelines/latin1.pipeline.ts: imported, round trip OK');
    expect(converted.stdout).toContain('note: read as latin1 and converted: the module and the Jenkinsfile compiled from it are UTF-8');
    expect(converted.code).toBe(0);
    const module = readFileSync(project.path('pipelines/latin1.pipeline.ts'), 'utf8');
    expect(module).toContain("echo('grüß')");
    expect(module).not.toContain('\uFFFD');
  });

  it('a UTF-8 byte order mark: validate accepts the file as Groovy 2.4.21 does; import drops the mark with a note', async () => {
    project = createTempProject();
    const withBom = Buffer.concat([bytes(0xef, 0xbb, 0xbf), jenkinsfile('grüß', 'utf8')]);
    writeFileSync(project.path('bom.Jenkinsfile'), withBom);
    const [groovy] = await groovyParse([{ name: 'bom.Jenkinsfile', text: withBom.toString('utf8') }]);
    expect(groovy!.ok).toBe(true);
    // The library parser skips a leading U+FEFF too (text decoded by someone else).
    const parsed = parseJenkinsfile(withBom.toString('utf8'), 'bom.Jenkinsfile');
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.ast?.pipeline.loc).toEqual({ line: 1, column: 1 });
    const validated = await runCli(['validate', 'bom.Jenkinsfile'], project.root);
    expect(validated.stdout).toBe('Jenkinsfile successfully validated.\n');
    expect(validated.code).toBe(0);
    const imported = await runCli(['import', 'bom.Jenkinsfile'], project.root);
    expect(imported.stdout).toContain('bom.Jenkinsfile → pipelines/bom.pipeline.ts: imported, round trip OK');
    expect(imported.stdout).toContain('note: line 1: UTF-8 byte order mark dropped (Groovy ignores it)');
    expect(imported.code).toBe(0);
  });
});
