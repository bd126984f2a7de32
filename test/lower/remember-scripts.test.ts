/**
 * src/lower/delivery/shell.ts rememberScripts: a generator script is built once per list of
 * arguments and handed out again only for exactly the same arguments.
 */
import { describe, expect, it } from 'vitest';
import { rememberScripts } from '../../src/lower/delivery/shell.ts';

describe('rememberScripts', () => {
  it('gives back the same string for the same arguments, building it once', () => {
    let builds = 0;
    const script = rememberScripts((engine: string, minutes: number) => {
      builds++;
      return `engine=${engine}\nminutes=${minutes}`;
    });
    const first = script('aws-cli', 30);
    expect(script('aws-cli', 30)).toBe(first);
    expect(builds).toBe(1);
  });

  it('never confuses different arguments, however alike they print', () => {
    const script = rememberScripts((...args: (string | number | boolean)[]) => JSON.stringify(args.map((a) => [typeof a, Object.is(a, -0) ? '-0' : String(a)])));
    const lists: (string | number | boolean)[][] = [
      ['1'],
      [1],
      [true],
      ['true'],
      [0],
      [-0],
      [Number.NaN],
      ['NaN'],
      ['a,b'],
      ['a', 'b'],
      ['a"', 'b'],
      ['a', '"b'],
      [],
      [''],
    ];
    for (const args of lists) script(...args);
    // Asked again, in reverse order: each list gets the script built from it.
    for (const args of [...lists].reverse()) {
      expect(script(...args)).toBe(JSON.stringify(args.map((a) => [typeof a, Object.is(a, -0) ? '-0' : String(a)])));
    }
  });
});
