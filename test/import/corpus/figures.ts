/**
 * The figures of an import over a corpus (test/import/public-corpus.measure.ts): typed share of step
 * calls, round-trip rates, and what is left, by cause.
 */
import type { ImportReport } from '../../../src/import/index.ts';

export interface CorpusFigures {
  files: number;
  groovyValid: number;
  /** Groovy-valid files that Jenkins' declarative validation (pipewright's validator) accepts. */
  declarativeValid: number;
  imported: number;
  typedSteps: number;
  catalogSteps: number;
  genericSteps: number;
  scriptBlocks: number;
  rewrites: number;
  /** typed / (typed + step()): step calls typed by a pipewright helper or a catalog-typed call. */
  typedShare: number;
  /** typed / (typed + step() + script { } blocks). */
  typedShareWithScripts: number;
  /** Groovy-valid files imported with the round trip OK / Groovy-valid files. */
  roundTripRate: number;
  /** The same over the declaratively valid ones. */
  roundTripDeclarativeRate: number;
  /** The report, as printed. */
  text: string;
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

export function corpusFigures(reports: readonly ImportReport[], groovyValid: readonly boolean[]): CorpusFigures {
  const imported = reports.filter((r) => r.status === 'imported');
  const sum = (key: keyof ImportReport['counts']) => imported.reduce((total, r) => total + r.counts[key], 0);
  const typedSteps = sum('typedSteps');
  const genericSteps = sum('genericSteps');
  const scriptBlocks = sum('scriptSteps');
  const valid = reports.filter((_, i) => groovyValid[i]);
  const invalidDeclarative = valid.filter((r) => r.status === 'refused' && r.refusals.some((x) => x.reason.startsWith('not a valid declarative Jenkinsfile')));
  const ok = valid.filter((r) => r.status === 'imported' && r.roundTrip?.ok === true).length;
  const figures = {
    files: reports.length,
    groovyValid: valid.length,
    declarativeValid: valid.length - invalidDeclarative.length,
    imported: imported.length,
    typedSteps,
    catalogSteps: sum('catalogSteps'),
    genericSteps,
    scriptBlocks,
    rewrites: imported.reduce((total, r) => total + r.rewrites.length, 0),
    typedShare: typedSteps / (typedSteps + genericSteps),
    typedShareWithScripts: typedSteps / (typedSteps + genericSteps + scriptBlocks),
    roundTripRate: ok / valid.length,
    roundTripDeclarativeRate: ok / (valid.length - invalidDeclarative.length),
  };
  const untyped = new Map<string, number>();
  for (const report of imported) for (const note of report.notes) if (note.hatch === 'step') untyped.set(note.subject, (untyped.get(note.subject) ?? 0) + 1);
  const failures = valid.filter((r) => r.status !== 'imported').map((r) => `    ${r.source}: ${r.status} (${r.refusals[0]?.reason ?? r.roundTrip?.problem ?? ''})`);
  const text = [
    `public corpus: ${figures.files} Jenkinsfiles, ${figures.groovyValid} Groovy-valid (Groovy 2.4.21), ${figures.declarativeValid} of them valid declarative pipelines`,
    `  step calls typed: ${typedSteps} of ${typedSteps + genericSteps} (${percent(figures.typedShare)}; ${figures.catalogSteps} catalog-typed calls); with the ${scriptBlocks} script { } blocks counted as untyped steps: ${percent(figures.typedShareWithScripts)}`,
    `  round trip OK: ${ok} of ${figures.groovyValid} Groovy-valid files (${percent(figures.roundTripRate)}), ${ok} of ${figures.declarativeValid} valid declarative ones (${percent(figures.roundTripDeclarativeRate)})`,
    `  sh GStrings rewritten into shell-expanded scripts: ${figures.rewrites}`,
    `  step() left: ${[...untyped.entries()].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ×${n}`).join(', ')}`,
    `  not imported:`,
    ...failures,
  ].join('\n');
  return { ...figures, text };
}
