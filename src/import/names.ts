/**
 * Pipeline names for imported Jenkinsfiles, derived from their paths: the name becomes the module
 * file `<name>.pipeline.ts` and the compiled Jenkinsfile's name, so it must be a valid pipeline
 * name and must not collide with another Jenkinsfile of the same run.
 */
import path from 'node:path';

/** A valid pipeline name: what `--name` accepts and what derived names are sanitised to. */
export const PIPELINE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Used when nothing in the path gives a name (e.g. `/Jenkinsfile`). */
const FALLBACK_NAME = 'jenkinsfile';

/** A valid pipeline name from text: runs of other characters become `-`; '' when nothing is left. */
export function sanitizePipelineName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').replace(/[-.]+$/, '');
}

/**
 * The name a Jenkinsfile's own file name gives, before sanitising; `undefined` when the file name
 * is just "Jenkinsfile" (then its directory names the pipeline):
 *
 * - `Jenkinsfile`, `Jenkinsfile.groovy` → undefined
 * - `Jenkinsfile.prod`, `jenkinsfile-prod` → `prod`
 * - `deploy.Jenkinsfile`, `deploy.groovy`, `deploy.Jenkinsfile.groovy` → `deploy`
 * - anything else: the file name as it is (`build.txt` → `build.txt`, sanitised later)
 */
export function ownNameOfJenkinsfile(fileName: string): string | undefined {
  let base = fileName;
  if (/\.groovy$/i.test(base) && base.length > '.groovy'.length) base = base.slice(0, -'.groovy'.length);
  if (/^jenkinsfile$/i.test(base)) return undefined;
  const suffix = /^jenkinsfile[._-](.+)$/i.exec(base);
  if (suffix) return suffix[1]!;
  const prefix = /^(.+)[._-]jenkinsfile$/i.exec(base);
  if (prefix) return prefix[1]!;
  return base;
}

/**
 * Name candidates for the Jenkinsfile at `file` (absolute), best first: its own name (or, for a
 * plain `Jenkinsfile`, its directory's name); then, when the file lies below `cwd`, that name
 * prefixed with the directory path (`repos/ledger/ci/nightly.Jenkinsfile` → `repos-ledger-ci-nightly`).
 * Every candidate is a valid pipeline name; there is always at least one.
 */
export function pipelineNameCandidates(file: string, cwd: string): string[] {
  const directory = path.dirname(file);
  // A file name with nothing usable in it (`__.Jenkinsfile`) counts as a plain Jenkinsfile.
  const own = sanitizePipelineName(ownNameOfJenkinsfile(path.basename(file)) ?? '') || undefined;
  const first = own ?? (sanitizePipelineName(path.basename(directory)) || FALLBACK_NAME);
  const candidates = [first];
  const relativeDirectory = path.relative(cwd, directory);
  if (relativeDirectory && !relativeDirectory.startsWith('..') && !path.isAbsolute(relativeDirectory)) {
    const parts = relativeDirectory.split(path.sep);
    const joined = sanitizePipelineName((own === undefined ? parts : [...parts, own]).join('-'));
    if (joined !== '' && joined !== first) candidates.push(joined);
  }
  return candidates;
}

/**
 * A name for the Jenkinsfile at `file` (absolute) that is not in `taken`: the first free
 * candidate, else the first candidate with a numeric suffix (`-2`, `-3`, …). Adds it to `taken`.
 * `taken` holds lower-cased names: `Prod.pipeline.ts` and `prod.pipeline.ts` are one file on
 * case-insensitive file systems (macOS, Windows), so names differing only in case collide.
 */
export function pickPipelineName(file: string, cwd: string, taken: Set<string>): string {
  const candidates = pipelineNameCandidates(file, cwd);
  let name = candidates.find((candidate) => !taken.has(candidate.toLowerCase()));
  for (let i = 2; name === undefined; i++) {
    if (!taken.has(`${candidates[0]}-${i}`.toLowerCase())) name = `${candidates[0]}-${i}`;
  }
  taken.add(name.toLowerCase());
  return name;
}
