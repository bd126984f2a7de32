/**
 * Finds the commands in a generated shell script that talk to AWS, and maps each to the IAM
 * actions it needs. The IAM generator reads the scripts of the compiled Jenkinsfile through this,
 * so the policy follows what the pipeline really runs, not a hand-kept list.
 */

/** A command in a script that may call AWS: `aws …`, `docker push`, `cosign …`, `pipewright …`. */
export interface ToolInvocation {
  tool: 'aws' | 'docker' | 'cosign' | 'pipewright';
  /** The leading bare words after the tool name, e.g. `['ecs', 'wait', 'services-stable']`. */
  words: string[];
  /** The whole command, continuation lines joined (for flags such as `--delete`). */
  text: string;
}

// A tool name in command position: at the start of a line, after `$(`, a pipe, `;`, `&&`, `!` or a
// shell keyword. `echo "to undo: aws …"` is text, not a command, and does not match.
const COMMAND = /(?:^|[;&|(!]|\b(?:if|then|else|do|while|until)\s)\s*(aws|docker|cosign|pipewright)\s+([^|;)]*)/g;
const BARE_WORD = /^[a-z0-9][a-z0-9-]*$/;

/**
 * The AWS-relevant commands of a bash script, in order. Comment lines are skipped and
 * backslash-continued lines joined first.
 */
export function scanInvocations(script: string): ToolInvocation[] {
  // A fleet's pipelines share their delivery scripts: scan each distinct text once per process.
  let found = scannedScripts.get(script);
  if (found === undefined) {
    if (scannedScripts.size >= MEMO_LIMIT) scannedScripts.clear();
    found = scanScript(script);
    scannedScripts.set(script, found);
  }
  return found.map((invocation) => ({ ...invocation, words: [...invocation.words] }));
}

/** Bounds the per-process memos (distinct scripts of a large fleet, not a leak in watch mode). */
const MEMO_LIMIT = 4096;
const scannedScripts = new Map<string, ToolInvocation[]>();

function scanScript(script: string): ToolInvocation[] {
  const lines = script
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'));
  const found: ToolInvocation[] = [];
  for (const line of lines) {
    for (const match of line.matchAll(COMMAND)) {
      const tool = match[1] as ToolInvocation['tool'];
      const rest = match[2]!;
      const words: string[] = [];
      for (const token of rest.trim().split(/\s+/)) {
        if (!BARE_WORD.test(token)) break;
        words.push(token);
      }
      found.push({ tool, words, text: `${tool} ${rest}`.trim() });
    }
  }
  return found;
}

/** CLI service names whose IAM service prefix differs. */
const SERVICE_PREFIXES: Readonly<Record<string, string>> = {
  s3api: 's3',
  elbv2: 'elasticloadbalancing',
};

/**
 * CLI commands whose IAM actions are not the command name in PascalCase: waiters poll a describe
 * call, high-level `s3` commands and `get-login-password` wrap other APIs, and some options need
 * an extra permission (`--delete`, `--object-lock-mode`).
 */
const CLI_EXCEPTIONS: Readonly<Record<string, (text: string) => string[]>> = {
  'ecr get-login-password': () => ['ecr:GetAuthorizationToken'],
  'ecs wait services-stable': () => ['ecs:DescribeServices'],
  'route53 wait resource-record-sets-changed': () => ['route53:GetChange'],
  'cloudfront wait invalidation-completed': () => ['cloudfront:GetInvalidation'],
  'eks update-kubeconfig': () => ['eks:DescribeCluster'],
  's3 cp': () => ['s3:PutObject'],
  's3 sync': (text) => ['s3:ListBucket', 's3:PutObject', ...(/\s--delete\b/.test(text) ? ['s3:DeleteObject'] : [])],
  // S3 needs s3:PutObjectRetention for an upload that sets a retention period.
  's3api put-object': (text) => ['s3:PutObject', ...(/\s--object-lock-mode\b/.test(text) ? ['s3:PutObjectRetention'] : [])],
};

/**
 * The SDK calls of `pipewright ecs-deploy` (the `…Command` classes src/aws/ecs-deploy.ts sends;
 * test/iam/actions.test.ts checks this list against the source).
 */
export const ECS_DEPLOY_SDK_ACTIONS: readonly string[] = [
  'cloudwatch:DescribeAlarms',
  'ecs:DescribeServices',
  'ecs:DescribeTaskDefinition',
  'ecs:RegisterTaskDefinition',
  'ecs:TagResource',
  'ecs:UpdateService',
];

/** Registry calls of `docker push` to ECR (the Docker Registry API as ECR authorizes it). */
export const DOCKER_PUSH_ECR_ACTIONS: readonly string[] = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:CompleteLayerUpload',
  'ecr:InitiateLayerUpload',
  'ecr:PutImage',
  'ecr:UploadLayerPart',
];

/** `cosign … --key awskms://…`: sigstore's AWS KMS signer describes the key and fetches its public key. */
const COSIGN_KMS_READ = ['kms:DescribeKey', 'kms:GetPublicKey'];

function pascalCase(kebab: string): string {
  return kebab
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * The IAM actions one invocation needs, as `service:Action`; `[]` for commands that do not call
 * AWS (`docker login`, `pipewright` subcommands other than `ecs-deploy`, `cosign` without an
 * AWS KMS key). Unknown `aws` commands map by name (`describe-images` → `DescribeImages`); the
 * generator validates every result against the AWS service reference.
 */
export function iamActionsFor(invocation: ToolInvocation): string[] {
  const [first, second, third] = invocation.words;
  switch (invocation.tool) {
    case 'aws': {
      if (first === undefined || second === undefined) return [];
      const key = second === 'wait' && third !== undefined ? `${first} wait ${third}` : `${first} ${second}`;
      const exception = CLI_EXCEPTIONS[key];
      if (exception !== undefined) return exception(invocation.text);
      return [`${SERVICE_PREFIXES[first] ?? first}:${pascalCase(second)}`];
    }
    case 'docker':
      return first === 'push' ? [...DOCKER_PUSH_ECR_ACTIONS] : [];
    case 'cosign': {
      if (!/--key\s+"?(?:\$PW_COSIGN_KEY|awskms:)/.test(invocation.text)) return [];
      if (first === 'sign' || first === 'attest') return ['kms:Sign', ...COSIGN_KMS_READ];
      if (first === 'verify' || first === 'verify-attestation') return [...COSIGN_KMS_READ];
      return [];
    }
    case 'pipewright':
      return first === 'ecs-deploy' ? [...ECS_DEPLOY_SDK_ACTIONS] : [];
  }
}

/**
 * A word of a command line, split once per text: single-quoted text is literal; double-quoted and
 * bare text expands its variables (`pieces` around them, one more piece than variables).
 */
type WordSegment = { literal: string } | { pieces: readonly string[]; variables: readonly { name: string; whole: string }[] };

const SHELL_VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

function wordSegments(text: string): WordSegment[][] {
  const words: WordSegment[][] = [];
  for (const match of text.matchAll(/(?:'[^']*'|"(?:[^"\\]|\\.)*"|[^\s'"]+)+/g)) {
    const segments: WordSegment[] = [];
    for (const [, single, double, bare] of match[0].matchAll(/'([^']*)'|"((?:[^"\\]|\\.)*)"|([^\s'"]+)/g)) {
      if (single !== undefined) {
        segments.push({ literal: single });
        continue;
      }
      const content = double ?? bare!;
      const pieces: string[] = [];
      const variables: { name: string; whole: string }[] = [];
      let last = 0;
      for (const variable of content.matchAll(SHELL_VARIABLE)) {
        pieces.push(content.slice(last, variable.index));
        variables.push({ name: variable[1] ?? variable[2]!, whole: variable[0] });
        last = variable.index + variable[0].length;
      }
      pieces.push(content.slice(last));
      segments.push({ pieces, variables });
    }
    words.push(segments);
  }
  return words;
}

/** Shell words of a command line, quotes removed; `undefined` for a word that stays dynamic after substitution. */
function shellWords(words: readonly (readonly WordSegment[])[], env: Readonly<Record<string, string>>): (string | undefined)[] {
  const found: (string | undefined)[] = [];
  for (const segments of words) {
    let dynamic = false;
    let word = '';
    for (const segment of segments) {
      if ('literal' in segment) {
        word += segment.literal;
        continue;
      }
      let expanded = segment.pieces[0]!;
      segment.variables.forEach(({ name, whole }, i) => {
        const value = env[name];
        if (value === undefined) dynamic = true;
        expanded += `${value ?? whole}${segment.pieces[i + 1]!}`;
      });
      if (/[$`]/.test(expanded)) dynamic = true;
      word += expanded;
    }
    found.push(dynamic ? undefined : word);
  }
  return found;
}

/**
 * The option values of an invocation (`--cluster dev-apps` → `cluster: ['dev-apps']`), with
 * `$VAR` / `${VAR}` taken from `env` (the `withEnv` around the step). A value only known at run
 * time (a shell variable the step sets itself, a command substitution) is left out, so callers
 * fall back to the model for it.
 */
export function invocationOptions(text: string, env: Readonly<Record<string, string>> = {}): Map<string, string[]> {
  return new Map([...sharedInvocationOptions(text, env)].map(([name, values]) => [name, [...values]]));
}

/**
 * {@link invocationOptions} kept per process: the same command recurs in every pipeline of a
 * fleet and once per environment, with `withEnv` values that differ in variables it does not read.
 * Keyed by the text and the values of the variables it names. The result is shared: do not change it.
 */
export function sharedInvocationOptions(text: string, env: Readonly<Record<string, string>>): ReadonlyMap<string, readonly string[]> {
  let command = commandTexts.get(text);
  if (command === undefined) {
    if (commandTexts.size >= MEMO_LIMIT) commandTexts.clear();
    command = { variables: shellVariablesOf(text), words: wordSegments(text), optionsByValues: new Map() };
    commandTexts.set(text, command);
  }
  const values = command.variables.map((name) => env[name] as unknown);
  // Only strings (or nothing) are data: anything else (an inherited `toString`) is read afresh, not memoized.
  if (values.some((value) => value !== undefined && typeof value !== 'string')) return readInvocationOptions(command.words, env);
  const valuesKey = JSON.stringify(values); // strings or undefined (printed null): exact
  let options = command.optionsByValues.get(valuesKey);
  if (options === undefined) {
    if (command.optionsByValues.size >= MEMO_LIMIT) command.optionsByValues.clear();
    options = readInvocationOptions(command.words, env);
    command.optionsByValues.set(valuesKey, options);
  }
  return options;
}

/** A command's text read once: the variables it names, its words, its options per values of those variables. */
const commandTexts = new Map<string, { variables: readonly string[]; words: readonly (readonly WordSegment[])[]; optionsByValues: Map<string, Map<string, string[]>> }>();

/**
 * The names of the shell variables a command mentions (`$NAME`, `${NAME}`), quoted or not: every
 * variable whose value its options can depend on, and possibly more.
 */
export function shellVariablesOf(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(match[1]!);
  return [...names].sort();
}

function readInvocationOptions(words: readonly (readonly WordSegment[])[], env: Readonly<Record<string, string>>): Map<string, string[]> {
  const options = new Map<string, string[]>();
  let current: string | undefined;
  for (const word of shellWords(words, env)) {
    if (word !== undefined && /^--[a-z][a-z0-9-]*$/.test(word)) {
      current = word.slice(2);
      if (!options.has(current)) options.set(current, []);
      continue;
    }
    if (word !== undefined && /^--[a-z][a-z0-9-]*=/.test(word)) {
      const [name, ...value] = word.slice(2).split('=');
      options.set(name!, [...(options.get(name!) ?? []), value.join('=')]);
      current = undefined;
      continue;
    }
    if (current !== undefined && word !== undefined && word !== '' && !/^[<>|&;]/.test(word)) options.get(current)!.push(word);
    else if (word === undefined || /^[<>|&;]/.test(word)) current = undefined;
  }
  return options;
}
