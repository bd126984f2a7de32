/**
 * The check every Jenkinsfile the suite generates must pass: it parses with Groovy 2.4.21 (the
 * parser Jenkins runs) and obeys Jenkins' declarative rules (pipewright's offline validator,
 * which reproduces the pipeline-model-definition plugin's structural checks and messages).
 */
import { validateText } from '../../src/cli/validate.ts';
import { expectGroovyParses, jenkinsfilesBelow, type GroovySource } from '../groovy/client.ts';

export async function expectValidJenkinsfiles(files: GroovySource[] | string): Promise<void> {
  const sources = typeof files === 'string' ? jenkinsfilesBelow(files) : files;
  await expectGroovyParses(sources);
  const problems = sources.flatMap((source) =>
    validateText(source.text, source.name)
      .diagnostics.filter((d) => d.severity === 'error')
      .map((d) => `${source.name}:${d.location?.line ?? 0}:${d.location?.column ?? 0}: ${d.message}`),
  );
  if (problems.length > 0) {
    throw new Error(`${problems.length} declarative rule violation(s):\n${problems.join('\n')}`);
  }
}
