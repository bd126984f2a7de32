/**
 * Preset options the preset does not read. `nodeService({ ... })` and `reactApp({ ... })` pick the
 * options they know, so a misspelt one (`snykOrgg`, `overrides: { lnt: false }`) would change
 * nothing and say nothing; TypeScript catches it in an editor, the compiler does not type-check.
 * These are found statically in the pipeline file (the preset itself runs in the loader's
 * sandbox and returns plain data) and reported at the key the author wrote.
 */
import type { Diagnostic } from '../diagnostics.ts';
import type { SourceLocator } from '../load/locate.ts';
import { PRESET_OPTION_KEYS } from '../presets/option-keys.ts';
import { closestMatch } from './describe.ts';
import { SCHEMA_CODES } from './schema-issues.ts';

/** Whether a file's text may call a preset at all (the check parses only those files). */
export function mayCallPreset(text: string): boolean {
  return Object.keys(PRESET_OPTION_KEYS).some((name) => text.includes(name));
}

/**
 * `PW2002` errors for option keys the file passes to a preset that the preset does not read,
 * located at the key, with the option path and a did-you-mean.
 */
export function checkPresetOptions(locator: SourceLocator): Diagnostic[] {
  return locator.unknownOptionKeys(PRESET_OPTION_KEYS).map(({ sourcePath, key, known, location }) => {
    const suggestion = closestMatch(key, known);
    return {
      code: SCHEMA_CODES.unknownKey,
      severity: 'error',
      message: `unknown option \`${key}\`: the preset does not read it` + (suggestion !== undefined ? ` - did you mean \`${suggestion}\`?` : ''),
      location,
      sourcePath,
      expected: `one of ${known.join(', ')}`,
      found: `\`${key}\``,
    } satisfies Diagnostic;
  });
}
