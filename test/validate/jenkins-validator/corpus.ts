/**
 * Jenkins' own validator test resources (jenkinsci/pipeline-model-definition-plugin), as listed
 * by manifest.json (written by scripts/jenkins-validator-corpus.mjs). The Jenkinsfiles are the
 * plugin's files, never committed here: they are read from a local copy
 * (`PIPEWRIGHT_JENKINS_VALIDATOR_CORPUS`, default /work/shared/jenkins-validator, with valid/,
 * invalid/ and ignored/), else from the plugin repository at the manifest's commit
 * (`JENKINS_MODEL_DEFINITION_GIT` or the mirror path below). Only the measurement
 * (jenkins-validator.measure.ts, `npm run measure:corpora`) reads them; the CI suite does not.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ManifestMessage {
  /** The exact message (a part of it with `contains`). */
  text?: string;
  /**
   * The test writes the text out rather than rendering a message: a Groovy compiler or run-time
   * message the test looks for in a log line, so a diagnostic containing it matches.
   */
  contains?: boolean;
  /** Literal pieces and gaps Jenkins fills from its installed extensions (a list of names). */
  pattern?: (string | { dynamic: string })[];
}

export interface ManifestFile {
  file: string;
  source: string;
  tests: string[];
  messages?: ManifestMessage[];
  logContext?: string[];
  outOfScope?: string;
  note?: string;
  /** Valid only with Declarative's script splitting on (off on a default controller). */
  scriptSplitting?: boolean;
}

export interface IgnoredFile extends ManifestFile {
  reason: string;
  /** What Jenkins' validator reports for it, read from its source. */
  jenkinsRejects?: string;
}

export interface Manifest {
  repository: string;
  commit: string;
  valid: ManifestFile[];
  invalid: ManifestFile[];
  /** Files only @Ignore'd tests use. */
  ignored: IgnoredFile[];
  notJenkinsfiles: { source: string; reason: string }[];
}

const DIR = import.meta.dirname;
const DEFAULT_GIT = '/work/.mirror/jenkinsci+pipeline-model-definition-plugin/repo';
const DEFAULT_COPY = '/work/shared/jenkins-validator';

export const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as Manifest;

/** The text of a corpus file; throws with the command to run when neither copy is there. */
export function corpusText(entry: ManifestFile): string {
  const local = join(process.env.PIPEWRIGHT_JENKINS_VALIDATOR_CORPUS ?? DEFAULT_COPY, entry.file);
  if (existsSync(local)) return readFileSync(local, 'utf8');
  const gitDir = process.env.JENKINS_MODEL_DEFINITION_GIT ?? DEFAULT_GIT;
  if (!existsSync(gitDir)) {
    throw new Error(
      `${entry.file} is missing: run \`node scripts/jenkins-validator-corpus.mjs --git <clone of ${manifest.repository}>/.git --commit ${manifest.commit} --out <dir>\` and set PIPEWRIGHT_JENKINS_VALIDATOR_CORPUS=<dir>`,
    );
  }
  return execFileSync('git', ['--git-dir', gitDir, 'show', `${manifest.commit}:${entry.source}`], { encoding: 'utf8' });
}

/** Whether a diagnostic message is the expected one: equal text, or the pattern with non-empty gaps. */
export function messageMatches(expected: ManifestMessage, actual: string): boolean {
  if (expected.text !== undefined) return expected.contains ? actual.includes(expected.text) : actual === expected.text;
  const pieces = expected.pattern ?? [];
  const regex = pieces
    .map((p) => (typeof p === 'string' ? p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : '(.+)'))
    .join('');
  return new RegExp(`^${regex}$`, 's').test(actual);
}
