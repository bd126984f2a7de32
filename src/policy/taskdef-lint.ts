/**
 * Lint of an ECS task definition (a template in the repository, or the JSON rendered from it at
 * deploy time) for SECRET-005 and DEPLOY-005. One set of checks, in two forms that tests keep in
 * step: {@link lintTaskDefinition} for the policy rules at compile time, and
 * {@link TASKDEF_LINT_JQ}, the same checks as a jq program, for the deploy script (the aws-cli
 * engine renders `evidence/ecs-<env>-<service>.taskdef.json` and can run it before
 * `register-task-definition`; see {@link taskDefinitionCheckShell}).
 *
 * SECRET-005: a container's secrets come from `secrets[].valueFrom`, a Secrets Manager or SSM
 * Parameter Store ARN (full ARNs, so the execution role's policy can name exactly those secrets; in
 * the deploying account when it is known), never from `environment[]` entries that look like
 * secrets (their value is readable by anyone with `ecs:DescribeTaskDefinition`).
 * DEPLOY-005: non-root `user`, `readonlyRootFilesystem: true`, no `privileged`, `awslogs` log
 * configuration, and a task role that is not the execution role.
 */
import { findSecret, SECRET_NAME } from './secrets.ts';

/** One problem in a task definition. */
export interface TaskDefinitionFinding {
  readonly rule: 'SECRET-005' | 'DEPLOY-005';
  /** JSON path in the task definition, e.g. `containerDefinitions[0].environment[2]`. */
  readonly at: string;
  /** Container name, when the finding is about one. */
  readonly container?: string;
  readonly message: string;
  readonly expected: string;
  readonly found: string;
}

/** Names that say the value is a reference to a secret (an id, a name, a path), not the secret. */
const REFERENCE_SUFFIX = /(?:_?ids?|_?name|_?file|_?path|_?arn|_?ref|_?enabled|_?url|_?region|_?header|_?mode|_?type)$/i;
/** Values that cannot be a secret: empty, booleans, numbers, references. */
const HARMLESS_VALUE = /^(?:|true|false|yes|no|on|off|[0-9]+|arn:.*|\$\{.*\}|\/.*)$/i;
/** `valueFrom` of a container secret: a Secrets Manager secret or an SSM parameter, as a full ARN. */
const SECRET_ARN = /^arn:aws[a-z-]*:(secretsmanager|ssm):([a-z0-9-]+):(\d{12}):(secret:.+|parameter\/.+)$/;
/** Users that are root: name or uid 0 (optionally with a group). */
const ROOT_USER = /^(?:root|0)(?::.*)?$/;

/** Whether an `environment[]` entry looks like a secret: its name says so, or its value is one. */
export function secretLikeEnvironment(name: string, value: string): string | undefined {
  if (SECRET_NAME.test(name) && !REFERENCE_SUFFIX.test(name) && !HARMLESS_VALUE.test(value.trim())) return `its name (${name}) says it holds a secret`;
  const match = findSecret(value, name);
  return match === undefined ? undefined : `its value looks like a ${match.kind} (${match.redacted})`;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The SECRET-005 and DEPLOY-005 findings of a task definition (`aws ecs register-task-definition`
 * input JSON). `account`: the account the task definition is registered in, if known.
 */
export function lintTaskDefinition(taskDefinition: unknown, options: { account?: string } = {}): TaskDefinitionFinding[] {
  const out: TaskDefinitionFinding[] = [];
  if (!isObject(taskDefinition) || !Array.isArray(taskDefinition['containerDefinitions'])) {
    return [{ rule: 'SECRET-005', at: '', message: 'not a task definition: no containerDefinitions array', expected: 'a task definition', found: 'no containerDefinitions' }];
  }
  taskDefinition['containerDefinitions'].forEach((container: unknown, i) => {
    if (!isObject(container)) return;
    const name = str(container['name']) ?? `#${i}`;
    const at = `containerDefinitions[${i}]`;
    const c = { container: name };
    const environment = Array.isArray(container['environment']) ? container['environment'] : [];
    environment.forEach((entry: unknown, j) => {
      if (!isObject(entry)) return;
      const key = str(entry['name']) ?? '';
      const why = secretLikeEnvironment(key, str(entry['value']) ?? '');
      if (why === undefined) return;
      out.push({
        ...c,
        rule: 'SECRET-005',
        at: `${at}.environment[${j}]`,
        message: `container ${name} passes ${key} in plain environment: ${why}; anyone with ecs:DescribeTaskDefinition reads it. Move it to secrets[] with valueFrom a Secrets Manager or SSM SecureString ARN`,
        expected: 'secrets[].valueFrom',
        found: `environment ${key}`,
      });
    });
    const secrets = Array.isArray(container['secrets']) ? container['secrets'] : [];
    secrets.forEach((entry: unknown, j) => {
      if (!isObject(entry)) return;
      const key = str(entry['name']) ?? '';
      const from = str(entry['valueFrom']) ?? '';
      const arn = SECRET_ARN.exec(from);
      if (!arn) {
        out.push({
          ...c,
          rule: 'SECRET-005',
          at: `${at}.secrets[${j}]`,
          message: `container ${name} takes secret ${key} from '${from}', not from a Secrets Manager or SSM parameter ARN: the execution role's policy cannot name exactly this secret`,
          expected: 'arn:aws:secretsmanager:… or arn:aws:ssm:…:parameter/…',
          found: from === '' ? 'no valueFrom' : from,
        });
      } else if (options.account !== undefined && arn[3] !== options.account) {
        out.push({
          ...c,
          rule: 'SECRET-005',
          at: `${at}.secrets[${j}]`,
          message: `container ${name} takes secret ${key} from account ${arn[3]}, not the account it is deployed in (${options.account})`,
          expected: `a secret in account ${options.account}`,
          found: `account ${arn[3]}`,
        });
      }
    });
    const user = str(container['user']);
    if (user === undefined || ROOT_USER.test(user)) {
      out.push({ ...c, rule: 'DEPLOY-005', at: `${at}.user`, message: `container ${name} runs as root`, expected: 'a non-root user (e.g. "1000:1000")', found: user ?? 'no user (root)' });
    }
    if (container['readonlyRootFilesystem'] !== true) {
      out.push({ ...c, rule: 'DEPLOY-005', at: `${at}.readonlyRootFilesystem`, message: `container ${name} has a writable root filesystem`, expected: 'readonlyRootFilesystem: true (tmpfs or volumes for scratch space)', found: String(container['readonlyRootFilesystem'] ?? 'not set') });
    }
    if (container['privileged'] === true) {
      out.push({ ...c, rule: 'DEPLOY-005', at: `${at}.privileged`, message: `container ${name} is privileged`, expected: 'no privileged', found: 'privileged: true' });
    }
    const log = isObject(container['logConfiguration']) ? str(container['logConfiguration']['logDriver']) : undefined;
    if (log !== 'awslogs') {
      out.push({ ...c, rule: 'DEPLOY-005', at: `${at}.logConfiguration`, message: `container ${name} does not log to CloudWatch Logs`, expected: 'logConfiguration.logDriver awslogs', found: log ?? 'no logConfiguration' });
    }
  });
  const taskRole = str(taskDefinition['taskRoleArn']);
  if (taskRole !== undefined && taskRole === str(taskDefinition['executionRoleArn'])) {
    out.push({
      rule: 'DEPLOY-005',
      at: 'taskRoleArn',
      message: 'the task role is the execution role: the application gets the rights to pull images and read every secret of the task',
      expected: 'separate taskRoleArn and executionRoleArn',
      found: taskRole,
    });
  }
  return out;
}

/**
 * {@link lintTaskDefinition} as a jq program (`jq -r --arg account <id|""> -f`): one line per
 * finding, `<rule>\t<at>\t<message>`. Name-based secret detection only (jq has no entropy test);
 * the compile-time rule also reports values that look like known secret formats.
 */
export const TASKDEF_LINT_JQ = [
  `def secretname: test(${JSON.stringify(SECRET_NAME.source)}; "i") and (test(${JSON.stringify(REFERENCE_SUFFIX.source)}; "i") | not);`,
  `def harmless: test(${JSON.stringify(HARMLESS_VALUE.source)}; "i");`,
  'def out($rule; $at; $msg): "\\($rule)\\t\\($at)\\t\\($msg)";',
  '((.containerDefinitions // [] | to_entries[]) as {key: $i, value: $c}',
  '| "containerDefinitions[\\($i)]" as $at | ($c.name // "#\\($i)") as $n',
  '| ( ($c.environment // [] | to_entries[]',
  '     | select((.value.name // "" | secretname) and ((.value.value // "") | gsub("^\\\\s+|\\\\s+$"; "") | harmless | not))',
  '     | out("SECRET-005"; "\\($at).environment[\\(.key)]"; "container \\($n) passes \\(.value.name) in plain environment: use secrets[] with valueFrom a Secrets Manager or SSM ARN"))',
  `  , ($c.secrets // [] | to_entries[] | (.value.valueFrom // "") as $from | ($from | test(${JSON.stringify(SECRET_ARN.source)})) as $arn`,
  '     | if $arn | not then out("SECRET-005"; "\\($at).secrets[\\(.key)]"; "container \\($n) takes secret \\(.value.name) from \\u0027\\($from)\\u0027, not a Secrets Manager or SSM parameter ARN")',
  '       elif ($account != "" and ($from | split(":")[4]) != $account) then out("SECRET-005"; "\\($at).secrets[\\(.key)]"; "container \\($n) takes secret \\(.value.name) from account \\($from | split(":")[4]), not \\($account)")',
  '       else empty end)',
  '  , (if ($c.user // "root" | test("^(?:root|0)(?::.*)?$")) then out("DEPLOY-005"; "\\($at).user"; "container \\($n) runs as root") else empty end)',
  '  , (if $c.readonlyRootFilesystem != true then out("DEPLOY-005"; "\\($at).readonlyRootFilesystem"; "container \\($n) has a writable root filesystem") else empty end)',
  '  , (if $c.privileged == true then out("DEPLOY-005"; "\\($at).privileged"; "container \\($n) is privileged") else empty end)',
  '  , (if ($c.logConfiguration.logDriver // "") != "awslogs" then out("DEPLOY-005"; "\\($at).logConfiguration"; "container \\($n) does not log to CloudWatch Logs") else empty end)',
  '  )),',
  '(if (.taskRoleArn // null) != null and .taskRoleArn == .executionRoleArn then out("DEPLOY-005"; "taskRoleArn"; "the task role is the execution role") else empty end)',
].join('\n');

/**
 * Bash lines defining `check_task_definition <file>`: runs {@link TASKDEF_LINT_JQ} on the rendered
 * task definition (account from `$PW_AWS_ACCOUNT` when set), prints DEPLOY-005 findings as
 * warnings, and returns 1 when there is a SECRET-005 finding, so the deploy stops before
 * `register-task-definition`. For the aws-cli ECS deploy script (owned by the ECS lowering); the
 * program is passed in a quoted here-document, so nothing in it is expanded by the shell.
 */
export function taskDefinitionCheckShell(): string[] {
  return [
    '# SECRET-005 / DEPLOY-005 on the rendered task definition, before it is registered.',
    'check_task_definition() {',
    '  local findings',
    '  findings="$(jq -r --arg account "${PW_AWS_ACCOUNT:-}" -f /dev/stdin "$1" <<\'PW_TASKDEF_LINT\'',
    ...TASKDEF_LINT_JQ.split('\n'),
    'PW_TASKDEF_LINT',
    '  )"',
    '  if [ -n "$findings" ]; then',
    '    printf \'%s\\n\' "$findings" | sed \'s/^/task definition: /\' >&2',
    '  fi',
    '  if grep -q \'^SECRET-005\' <<< "$findings"; then',
    '    echo "the task definition passes secrets in plain environment or from outside Secrets Manager/SSM (SECRET-005)" >&2',
    '    return 1',
    '  fi',
    '}',
  ];
}
