/**
 * Facts about a validated pipeline model that the semantic diff and the stage graph need: the
 * stage tree with name paths, every step with its model path, and what a step or stage *means*
 * for security (a scan and its gate, a deploy and its environment, a credential, an escape hatch).
 *
 * Everything works on the model alone, so it is unit-testable without loading any file. Steps are
 * read structurally (`step` discriminator plus fields) so typed steps added later (delivery steps)
 * are recognised by their fields even before this module knows their names.
 */
import type { ModelPath } from '../diagnostics.ts';
import { controlKindsOf, DELIVERY_DEFAULTS, isDeliveryStep } from '../model/delivery-defaults.ts';
import { WHEN_CONDITION_KEYS, type Agent, type Stage, type ValidPipeline, type When } from '../model/schema.ts';

/** A step as plain data: the `step` discriminator plus its fields. */
export type StepLike = { readonly step: string } & { readonly [field: string]: unknown };

/** Separator of stage name paths, e.g. `Build › Unit tests`. */
export const NAME_PATH_SEPARATOR = ' › ';

/** One stage in the tree, with where it sits. */
export interface StageRef {
  stage: Stage;
  /** Names from the top-level stage down to this one. */
  namePath: string[];
  /** Path of the stage object in the pipeline value, e.g. `['stages', 2, 'parallel', 0]`. */
  modelPath: ModelPath;
  /** `when` conditions of the enclosing stages (and matrix), outermost first. */
  ancestorWhens: When[];
  /** The agent the stage's steps run on (its own, else the nearest enclosing one). */
  effectiveAgent: Agent | undefined;
  /** How the stage is nested in its parent. */
  container: 'top' | 'stages' | 'parallel' | 'matrix';
}

/** Joins a name path for display. */
export const joinNamePath = (names: readonly string[]): string => names.join(NAME_PATH_SEPARATOR);

/** Every stage of the pipeline, depth first, parents before children. */
export function walkStages(pipeline: ValidPipeline): StageRef[] {
  const refs: StageRef[] = [];
  const visit = (
    stages: readonly Stage[],
    parentNames: string[],
    parentPath: ModelPath,
    whens: When[],
    agent: Agent | undefined,
    container: StageRef['container'],
  ) => {
    stages.forEach((stage, index) => {
      const modelPath = [...parentPath, index];
      const namePath = [...parentNames, stage.name];
      const effectiveAgent = stage.agent ?? agent;
      refs.push({ stage, namePath, modelPath, ancestorWhens: whens, effectiveAgent, container });
      const inner = stage.when ? [...whens, stage.when] : whens;
      if (stage.stages) visit(stage.stages, namePath, [...modelPath, 'stages'], inner, effectiveAgent, 'stages');
      if (stage.parallel) visit(stage.parallel, namePath, [...modelPath, 'parallel'], inner, effectiveAgent, 'parallel');
      if (stage.matrix) {
        const matrixWhens = stage.matrix.when ? [...inner, stage.matrix.when] : inner;
        visit(
          stage.matrix.stages,
          namePath,
          [...modelPath, 'matrix', 'stages'],
          matrixWhens,
          stage.matrix.agent ?? effectiveAgent,
          'matrix',
        );
      }
    });
  };
  visit(pipeline.stages, [], ['stages'], [], pipeline.agent, 'top');
  return refs;
}

/** Child step lists of a step (`steps` of wrappers, `body` of generic steps). */
export function nestedStepLists(step: StepLike): { field: string; steps: StepLike[] }[] {
  const lists: { field: string; steps: StepLike[] }[] = [];
  for (const field of ['steps', 'body'] as const) {
    const value = step[field];
    if (Array.isArray(value) && value.every(isStepLike)) lists.push({ field, steps: value as StepLike[] });
  }
  return lists;
}

export function isStepLike(value: unknown): value is StepLike {
  return typeof value === 'object' && value !== null && typeof (value as { step?: unknown }).step === 'string';
}

/** A step with its position and the wrapper steps around it (outermost first). */
export interface StepRef {
  step: StepLike;
  modelPath: ModelPath;
  wrappers: StepLike[];
}

/** Every step in `steps`, nested ones included, depth first. */
export function walkSteps(steps: readonly unknown[] | undefined, basePath: ModelPath, wrappers: StepLike[] = []): StepRef[] {
  const refs: StepRef[] = [];
  (steps ?? []).forEach((step, index) => {
    if (!isStepLike(step)) return;
    const modelPath = [...basePath, index];
    refs.push({ step, modelPath, wrappers });
    for (const list of nestedStepLists(step)) refs.push(...walkSteps(list.steps, [...modelPath, list.field], [...wrappers, step]));
  });
  return refs;
}

/** Every step of a `post` block, per condition. */
export function walkPostSteps(post: Record<string, unknown> | undefined, basePath: ModelPath): StepRef[] {
  if (!post) return [];
  return Object.entries(post).flatMap(([condition, steps]) =>
    Array.isArray(steps) ? walkSteps(steps, [...basePath, condition]) : [],
  );
}

/** The steps a stage runs itself: `steps`, `post` (and matrix `post`), not its child stages. */
export function stageOwnSteps(ref: StageRef): StepRef[] {
  const { stage, modelPath } = ref;
  return [
    ...walkSteps(stage.steps, [...modelPath, 'steps']),
    ...walkPostSteps(stage.post as Record<string, unknown> | undefined, [...modelPath, 'post']),
    ...walkPostSteps(stage.matrix?.post as Record<string, unknown> | undefined, [...modelPath, 'matrix', 'post']),
  ];
}

/** Every step of the pipeline (stages and post blocks), with the stage it belongs to. */
export function walkAllSteps(pipeline: ValidPipeline): (StepRef & { stage?: StageRef })[] {
  const all: (StepRef & { stage?: StageRef })[] = [];
  for (const stage of walkStages(pipeline)) for (const ref of stageOwnSteps(stage)) all.push({ ...ref, stage });
  all.push(...walkPostSteps(pipeline.post as Record<string, unknown> | undefined, ['post']));
  return all;
}

// ---------------------------------------------------------------------------------------------
// Short descriptions
// ---------------------------------------------------------------------------------------------

const firstLine = (text: string): string => {
  const lines = text.split('\n').map((line) => line.trim());
  const meaningful = lines.find((line) => line && !line.startsWith('#') && !/^set\s+[-+]/.test(line));
  return meaningful ?? lines[0] ?? '';
};

const clip = (text: string, max = 60): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** A one-line description of a step: `sh "npm test"`, `withCredentials [snyk-token]`, `trivyScan`. */
export function describeStep(step: StepLike): string {
  switch (step.step) {
    case 'sh':
      return `sh ${JSON.stringify(clip(typeof step.label === 'string' ? step.label : firstLine(String(step.script ?? ''))))}`;
    case 'echo':
      return `echo ${JSON.stringify(clip(String(step.message ?? '')))}`;
    case 'checkout':
      return 'checkout scm';
    case 'script':
      return `script ${JSON.stringify(clip(firstLine(String(step.groovy ?? ''))))}`;
    case 'step':
      return `step ${String(step.name)}`;
    case 'withCredentials':
      return `withCredentials [${credentialIdsOfStep(step).join(', ')}]`;
    default: {
      const key = identityField(step);
      return key ? `${step.step} ${JSON.stringify(clip(String(step[key])))}` : step.step;
    }
  }
}

/** Field that names what a step works on, used to recognise "the same step" across versions. */
function identityField(step: StepLike): string | undefined {
  for (const field of ['label', 'name', 'testResults', 'artifacts', 'path', 'url', 'resource', 'target', 'image', 'service', 'environment', 'tool', 'channel']) {
    const value = step[field];
    if (typeof value === 'string' && value) return field;
  }
  return undefined;
}

/** The command words of a script line, e.g. `trivy fs`, `npm ci`, `pipewright ecs-deploy`. */
function commandSignature(script: string): string {
  const words = firstLine(script)
    .split(/\s+/)
    .filter((word) => word && !/^[A-Z_][A-Z0-9_]*=/.test(word));
  const command = words.slice(0, 2).filter((word) => !word.startsWith('-'));
  return command.join(' ');
}

/**
 * A key that stays the same when a step is edited in place (its label, what it works on), so
 * "the scan's severity changed" is reported as a change, not as a removal plus an addition.
 */
export function stepIdentity(step: StepLike): string {
  switch (step.step) {
    case 'sh':
      return typeof step.label === 'string' && step.label
        ? `sh:label:${step.label}`
        : `sh:cmd:${commandSignature(String(step.script ?? ''))}`;
    case 'echo':
    case 'checkout':
    case 'script':
      return step.step;
    case 'withCredentials':
      return `withCredentials:${credentialIdsOfStep(step).join(',')}`;
    default: {
      const key = identityField(step);
      return key ? `${step.step}:${key}:${String(step[key])}` : step.step;
    }
  }
}

/** For shell steps, the command they run (`sh:npm ci`), whatever their label; else undefined. */
export function shellCommandKey(step: StepLike): string | undefined {
  return step.step === 'sh' && typeof step.script === 'string' ? `sh:${commandSignature(step.script)}` : undefined;
}

// ---------------------------------------------------------------------------------------------
// Scans
// ---------------------------------------------------------------------------------------------

/** Vulnerability severities, lowest first (Trivy's and Snyk's scale). */
export const SEVERITIES = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;

/** What makes a scan fail the build. */
export interface ScanGate {
  /** Severities whose findings fail the build; `undefined` when the tool has no severity gate. */
  failingSeverities?: string[];
  /** The scan's non-zero result fails the build (exit code, abortPipeline). */
  failsBuild: boolean;
  /** Why it does not fail the build, when it does not. */
  notFailingBecause?: string;
  /** Unfixed vulnerabilities are ignored. */
  ignoreUnfixed: boolean;
  /** Snyk's `--fail-on` (upgradable/patchable): only fail when a fix exists. */
  failOn?: string;
}

/** A security scan found in a step. */
export interface ScanFact {
  /** `trivy`, `snyk`, `sonarqube`, `grype`, ... */
  tool: string;
  /** `trivy image`, `snyk test`, `sonarqube quality gate`, ... */
  label: string;
  gate: ScanGate;
  /** Path of the step that runs the scan. */
  modelPath: ModelPath;
  /** Names of the stage it runs in (empty for pipeline `post`). */
  stagePath: string[];
}

interface ScannerPattern {
  tool: string;
  /** Matches a command line; group 1 (if any) is the sub-command. */
  pattern: RegExp;
  label: (sub: string | undefined) => string;
  gate: (line: string) => Omit<ScanGate, 'notFailingBecause'>;
}

const flagValue = (line: string, ...names: string[]): string | undefined => {
  for (const name of names) {
    const match = new RegExp(`(?:^|\\s)${name.replace(/[-]/g, '\\-')}(?:=|\\s+)("[^"]*"|'[^']*'|\\S+)`).exec(line);
    if (match) return match[1]!.replace(/^["']|["']$/g, '');
  }
  return undefined;
};
const hasFlag = (line: string, name: string): boolean => new RegExp(`(?:^|\\s)${name}(?:\\s|=|$)`).test(line);

const severitiesFrom = (list: string): string[] =>
  list
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);

const atOrAbove = (threshold: string): string[] => {
  const index = SEVERITIES.indexOf(threshold.toUpperCase() as (typeof SEVERITIES)[number]);
  return index < 0 ? [threshold.toUpperCase()] : SEVERITIES.slice(Math.max(index, 1));
};

const SCANNERS: ScannerPattern[] = [
  {
    tool: 'trivy',
    pattern: /(?:^|[\s;&|(])trivy\s+(?:--?[\w-]+(?:[= ](?!image|fs|filesystem|config|repo|repository|rootfs|sbom|k8s|kubernetes|vm)\S+)?\s+)*(image|fs|filesystem|config|repo|repository|rootfs|sbom|k8s|kubernetes|vm)\b/,
    label: (sub) => `trivy ${sub === 'filesystem' ? 'fs' : sub}`,
    gate: (line) => {
      const severity = flagValue(line, '--severity', '-s');
      const exitCode = Number(flagValue(line, '--exit-code') ?? '0');
      return {
        failingSeverities: severity ? severitiesFrom(severity) : [...SEVERITIES],
        failsBuild: exitCode !== 0,
        ignoreUnfixed: hasFlag(line, '--ignore-unfixed'),
      };
    },
  },
  {
    tool: 'snyk',
    pattern: /(?:^|[\s;&|(])snyk\s+(test|container\s+test|code\s+test|iac\s+test|monitor)\b/,
    label: (sub) => `snyk ${sub?.replace(/\s+/g, ' ')}`,
    gate: (line) => {
      const threshold = flagValue(line, '--severity-threshold');
      const failOn = flagValue(line, '--fail-on');
      return {
        failingSeverities: threshold ? atOrAbove(threshold) : atOrAbove('LOW'),
        // `snyk monitor` only uploads a snapshot; it never fails on vulnerabilities.
        failsBuild: !/\bsnyk\s+monitor\b/.test(line),
        ignoreUnfixed: false,
        ...(failOn && failOn !== 'all' ? { failOn } : {}),
      };
    },
  },
  {
    tool: 'sonarqube',
    pattern: /(?:^|[\s;&|(])(sonar-scanner|sonar:sonar|gradlew?\s.*\bsonar(?:qube)?\b)/,
    label: () => 'sonarqube analysis',
    gate: (line) => ({ failsBuild: /-Dsonar\.qualitygate\.wait=true/.test(line), ignoreUnfixed: false }),
  },
  {
    tool: 'grype',
    pattern: /(?:^|[\s;&|(])grype\s/,
    label: () => 'grype',
    gate: (line) => {
      const failOn = flagValue(line, '--fail-on', '-f');
      return { ...(failOn ? { failingSeverities: atOrAbove(failOn) } : {}), failsBuild: Boolean(failOn), ignoreUnfixed: hasFlag(line, '--only-fixed') };
    },
  },
  {
    tool: 'npm audit',
    pattern: /(?:^|[\s;&|(])npm\s+audit\b(?!\s+fix)/,
    label: () => 'npm audit',
    gate: (line) => {
      const level = flagValue(line, '--audit-level');
      return { failingSeverities: atOrAbove(level ?? 'LOW'), failsBuild: true, ignoreUnfixed: false };
    },
  },
  ...(
    [
      ['gitleaks', /(?:^|[\s;&|(])gitleaks\s+(detect|protect|git|dir)\b/],
      ['semgrep', /(?:^|[\s;&|(])semgrep\s+(scan|ci)\b/],
      ['checkov', /(?:^|[\s;&|(])checkov\s/],
      ['osv-scanner', /(?:^|[\s;&|(])osv-scanner\s/],
      ['dependency-check', /(?:^|[\s;&|(])dependency-check(?:\.sh)?\s/],
      ['hadolint', /(?:^|[\s;&|(])hadolint\s/],
      ['tfsec', /(?:^|[\s;&|(])tfsec\s/],
    ] as const
  ).map(
    ([tool, pattern]): ScannerPattern => ({
      tool,
      pattern,
      label: (sub) => (sub ? `${tool} ${sub}` : tool),
      gate: (line) => ({
        // semgrep only fails on findings with --error; the others fail by default.
        failsBuild: tool === 'semgrep' ? hasFlag(line, '--error') || /\bsemgrep\s+ci\b/.test(line) : !hasFlag(line, '--exit-zero') && !hasFlag(line, '--soft-fail'),
        ignoreUnfixed: false,
      }),
    }),
  ),
];

/** Logical command lines of a shell script (backslash continuations joined, comments dropped). */
function scriptLines(script: string): string[] {
  return script
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

/** Why a command's failure does not fail the step (`|| true`, `set +e`), if it does not. */
function swallowedInScript(lines: string[], index: number): string | undefined {
  const line = lines[index]!;
  if (/\|\|\s*(?:true|:|exit\s+0|echo\b)/.test(line)) return `"${(/\|\|\s*(?:true|:|exit\s+0|echo\b[^;&|]*)/.exec(line) ?? [''])[0].trim()}" ignores its exit code`;
  let errexitOff = false;
  for (const previous of lines.slice(0, index)) {
    if (/^set\s+\+e\b/.test(previous)) errexitOff = true;
    else if (/^set\s+-[a-z]*e/.test(previous)) errexitOff = false;
  }
  // With `set +e`, only the last command's status decides the step's result.
  if (errexitOff && index < lines.length - 1) return '`set +e` ignores its exit code';
  return undefined;
}

/** Generic steps that turn a failure into a warning instead of failing the build. */
const SWALLOWING_WRAPPERS = new Set(['catchError', 'warnError', 'unstable']);

function wrapperSwallow(wrappers: readonly StepLike[]): string | undefined {
  for (const wrapper of wrappers) {
    if (wrapper.step === 'step' && SWALLOWING_WRAPPERS.has(String(wrapper.name))) return `wrapped in ${String(wrapper.name)}`;
    if (SWALLOWING_WRAPPERS.has(wrapper.step)) return `wrapped in ${wrapper.step}`;
  }
  return undefined;
}

/** Known scan tools of typed steps not modelled by pipewright's delivery steps, by `step` name. */
const OTHER_TYPED_SCAN_TOOLS: [RegExp, string][] = [
  [/^grype/i, 'grype'],
  [/^gitleaks/i, 'gitleaks'],
  [/^semgrep/i, 'semgrep'],
  [/^checkov/i, 'checkov'],
];

/** Reads the gate of a typed scan step from its fields (severity, exitCode, ignoreUnfixed, ...). */
function typedScanGate(step: StepLike): Omit<ScanGate, 'notFailingBecause'> {
  const severity = step.severity ?? step.severityThreshold ?? step.failOnSeverity;
  let failingSeverities: string[] | undefined;
  if (Array.isArray(severity)) failingSeverities = severity.map((s) => String(s).toUpperCase());
  else if (typeof severity === 'string') failingSeverities = severity.includes(',') ? severitiesFrom(severity) : atOrAbove(severity);
  const failsBuild =
    step.exitCode !== 0 && step.abortPipeline !== false && step.failBuild !== false && step.continueOnError !== true && step.soft !== true;
  const failOn = typeof step.failOn === 'string' && step.failOn !== 'all' ? step.failOn : undefined;
  return {
    ...(failingSeverities ? { failingSeverities } : {}),
    failsBuild,
    ignoreUnfixed: step.ignoreUnfixed !== undefined && step.ignoreUnfixed !== false,
    ...(failOn ? { failOn } : {}),
  };
}

/**
 * The scan a typed delivery step runs, with the lowering's defaults applied (an absent field
 * means the default gate, which is what runs).
 */
function deliveryScan(step: StepLike): Omit<ScanFact, 'modelPath' | 'stagePath'> | undefined {
  switch (step.step) {
    case 'trivyScan': {
      const severity = Array.isArray(step.severity) ? step.severity.map(String) : [...DELIVERY_DEFAULTS.trivy.severity];
      const exitCode = typeof step.exitCode === 'number' ? step.exitCode : DELIVERY_DEFAULTS.trivy.exitCode;
      return {
        tool: 'trivy',
        label: `trivy ${String(step.target)}`,
        gate: { failingSeverities: severity, failsBuild: exitCode !== 0, ignoreUnfixed: step.ignoreUnfixed !== undefined },
      };
    }
    case 'snykScan': {
      const threshold = typeof step.severityThreshold === 'string' ? step.severityThreshold : DELIVERY_DEFAULTS.snyk.severityThreshold;
      const failOn = typeof step.failOn === 'string' && step.failOn !== 'all' ? step.failOn : undefined;
      return {
        tool: 'snyk',
        label: step.mode === 'container' ? 'snyk container test' : 'snyk test',
        gate: { failingSeverities: atOrAbove(threshold), failsBuild: true, ignoreUnfixed: false, ...(failOn ? { failOn } : {}) },
      };
    }
    case 'sonarScan':
      // The analysis itself never fails the build; its gate is the sonarQualityGate step.
      return { tool: 'sonarqube', label: 'sonarqube analysis', gate: { failsBuild: false, ignoreUnfixed: false } };
    case 'sonarQualityGate':
      return { tool: 'sonarqube', label: 'sonarqube quality gate', gate: { failsBuild: true, ignoreUnfixed: false } };
    default:
      return undefined;
  }
}

/** The scans a step runs (a shell step may run several). Nested steps are not included. */
export function scansOfStep(ref: StepRef, stagePath: string[] = []): ScanFact[] {
  const { step, modelPath, wrappers } = ref;
  const wrapped = wrapperSwallow(wrappers);
  const finish = (fact: Omit<ScanFact, 'modelPath' | 'stagePath'>, extraSwallow?: string): ScanFact => {
    const because = extraSwallow ?? wrapped ?? (step.returnStatus === true ? 'returnStatus: true ignores its exit code' : undefined);
    const gate: ScanGate = { ...fact.gate };
    if (because && gate.failsBuild) {
      gate.failsBuild = false;
      gate.notFailingBecause = because;
    } else if (!gate.failsBuild) gate.notFailingBecause = because ?? 'the tool exits 0 on findings with these options';
    return { ...fact, gate, modelPath, stagePath };
  };
  if (step.step === 'sh' && typeof step.script === 'string') {
    const lines = scriptLines(step.script);
    const facts: ScanFact[] = [];
    lines.forEach((line, index) => {
      for (const scanner of SCANNERS) {
        const match = scanner.pattern.exec(line);
        if (!match) continue;
        const sub = match[1] && scanner.tool !== 'sonarqube' ? match[1] : undefined;
        facts.push(finish({ tool: scanner.tool, label: scanner.label(sub), gate: scanner.gate(line) }, swallowedInScript(lines, index)));
      }
    });
    return facts;
  }
  if (step.step === 'step' && step.name === 'waitForQualityGate') {
    const args = (step.args ?? {}) as Record<string, unknown>;
    return [finish({ tool: 'sonarqube', label: 'sonarqube quality gate', gate: { failsBuild: args.abortPipeline === true, ignoreUnfixed: false } })];
  }
  const typed = deliveryScan(step);
  if (typed) {
    const fact = finish(typed);
    // Only a gate that could fail the build can be weakened by a wrapper; the analysis is informational.
    if (step.step === 'sonarScan') fact.gate = { failsBuild: false, ignoreUnfixed: false, notFailingBecause: 'analysis only (the gate is sonarQualityGate)' };
    return [fact];
  }
  for (const [pattern, tool] of OTHER_TYPED_SCAN_TOOLS) {
    if (pattern.test(step.step)) return [finish({ tool, label: step.step, gate: typedScanGate(step) })];
  }
  return [];
}

/** Every scan of the pipeline. */
export function pipelineScans(pipeline: ValidPipeline): ScanFact[] {
  return walkAllSteps(pipeline).flatMap((ref) => scansOfStep(ref, ref.stage?.namePath ?? []));
}

/** Reasons why gate `after` is weaker than gate `before` (empty when it is not). */
export function gateWeakenings(before: ScanGate, after: ScanGate): string[] {
  const reasons: string[] = [];
  if (before.failsBuild && !after.failsBuild) reasons.push(`no longer fails the build (${after.notFailingBecause ?? 'exit code relaxed'})`);
  if (before.failingSeverities && after.failingSeverities) {
    const dropped = before.failingSeverities.filter((s) => !after.failingSeverities!.includes(s));
    if (dropped.length > 0) {
      reasons.push(
        `severity threshold lowered: ${before.failingSeverities.join(',')} → ${after.failingSeverities.join(',') || '(none)'} (${dropped.join(', ')} findings no longer fail the build)`,
      );
    }
  } else if (before.failingSeverities && !after.failingSeverities && after.failsBuild) {
    // The gate lost its severity filter: it now fails on more, never on less.
  }
  if (!before.ignoreUnfixed && after.ignoreUnfixed) reasons.push('ignores unfixed vulnerabilities now (ignoreUnfixed added)');
  if (!before.failOn && after.failOn) reasons.push(`fails only on ${after.failOn} issues now (--fail-on ${after.failOn})`);
  return reasons;
}

// ---------------------------------------------------------------------------------------------
// Deploys
// ---------------------------------------------------------------------------------------------

const DEPLOY_COMMANDS =
  /(?:\becs-deploy\b|\baws\s+ecs\s+(?:update-service|deploy|create-service)\b|\bkubectl\s+(?:apply|set\s+image|rollout\s+restart|replace|patch)\b|\bhelm\s+(?:upgrade|install)\b|\bterraform\s+apply\b|\baws\s+cloudformation\s+(?:deploy|update-stack|create-stack)\b|\bcdk\s+deploy\b|\bserverless\s+deploy\b|\bsls\s+deploy\b|\beb\s+deploy\b|\baws\s+lambda\s+update-function-code\b|\baws\s+s3\s+sync\b|\bargocd\s+app\s+sync\b|\bflux\s+reconcile\b)/;

/** Step names of typed deploy steps (delivery steps), matched case-insensitively. */
const TYPED_DEPLOY = /deploy|rollout|release|promote|gitops|trafficShift|route53|helm/i;

/** Whether a step deploys (changes a running environment). */
export function isDeployStep(step: StepLike): boolean {
  // A feature-flag deployment changes production behaviour too (#12.3).
  if (isDeliveryStep(step)) return controlKindsOf(step).some((kind) => kind === 'deploy' || kind === 'dns' || kind === 'flags');
  if (step.step === 'sh') return DEPLOY_COMMANDS.test(String(step.script ?? ''));
  if (step.step === 'step') return TYPED_DEPLOY.test(String(step.name ?? '')) && !/^(?:deleteDir)$/.test(String(step.name));
  return TYPED_DEPLOY.test(step.step);
}

const DEPLOY_STAGE_NAME = /\b(?:deploy|deployment|release|promot\w*|rollout|publish to (?:prod|production|stag\w*|dev))\b/i;

/** Environment names recognised in stage names and step fields. */
const ENVIRONMENT_WORDS: [RegExp, string][] = [
  [/\bprod(?:uction)?\b/i, 'prod'],
  [/\bstag(?:e|ing)\b/i, 'stage'],
  [/\b(?:uat|preprod|pre-prod)\b/i, 'uat'],
  [/\bqa\b/i, 'qa'],
  [/\bdev(?:elopment)?\b/i, 'dev'],
];

/** A stage that deploys, with the environment it targets when that can be told. */
export interface DeployFact {
  stage: StageRef;
  /** `prod`, `stage`, `dev`, ... (from a typed step's `environment`, else from the stage name). */
  environment?: string;
}

/** Environment named by a typed step (`environment: 'prod'` or `{ name: 'prod' }`). */
function stepEnvironment(step: StepLike): string | undefined {
  const env = step.environment ?? step.env;
  if (typeof env === 'string') return env;
  if (typeof env === 'object' && env !== null && typeof (env as { name?: unknown }).name === 'string') return (env as { name: string }).name;
  return undefined;
}

/** Whether the stage deploys, and where to. Stages that only hold other stages are not deploys. */
export function deployFact(ref: StageRef): DeployFact | undefined {
  const steps = walkSteps(ref.stage.steps, [...ref.modelPath, 'steps']);
  const deploySteps = steps.filter((s) => isDeployStep(s.step));
  const hasOwnSteps = ref.stage.steps !== undefined;
  if (deploySteps.length === 0 && !(hasOwnSteps && DEPLOY_STAGE_NAME.test(ref.stage.name))) return undefined;
  const fromStep = deploySteps.map((s) => stepEnvironment(s.step)).find((env) => env !== undefined);
  if (fromStep) return { stage: ref, environment: fromStep };
  for (const name of [...ref.namePath].reverse()) {
    for (const [pattern, environment] of ENVIRONMENT_WORDS) if (pattern.test(name)) return { stage: ref, environment };
  }
  return { stage: ref };
}

/** Every deploy stage of the pipeline. */
export function pipelineDeploys(pipeline: ValidPipeline): DeployFact[] {
  return walkStages(pipeline)
    .map(deployFact)
    .filter((fact): fact is DeployFact => fact !== undefined);
}

/** An approval stage (`input`), with who may approve. */
export function approvalSubmitters(stage: Stage): string[] | undefined {
  const submitter = stage.input?.submitter ?? stage.matrix?.input?.submitter;
  if (submitter === undefined) return undefined;
  const list = Array.isArray(submitter) ? submitter : [submitter];
  return list.flatMap((entry) => entry.split(',')).map((entry) => entry.trim()).filter(Boolean);
}

/** An approval: a stage (or matrix) `input`, with who may approve. */
export interface ApprovalFact {
  stage: StageRef;
  message: string;
  /** Submitters; `undefined` means anyone with Build permission on the job. */
  submitters?: string[];
  /** Path of the `input` object. */
  modelPath: ModelPath;
}

function approvalsOf(ref: StageRef): ApprovalFact[] {
  const facts: ApprovalFact[] = [];
  const add = (input: Stage['input'], path: ModelPath) => {
    if (!input) return;
    const submitters = approvalSubmitters({ name: ref.stage.name, input });
    facts.push({ stage: ref, message: input.message, ...(submitters ? { submitters } : {}), modelPath: path });
  };
  add(ref.stage.input, [...ref.modelPath, 'input']);
  add(ref.stage.matrix?.input, [...ref.modelPath, 'matrix', 'input']);
  return facts;
}

/** Every approval of the pipeline. */
export function pipelineApprovals(pipeline: ValidPipeline): ApprovalFact[] {
  return walkStages(pipeline).flatMap(approvalsOf);
}

/**
 * For every stage, the approvals that have passed before its steps run: its own and its
 * enclosing stages' `input`, and every approval in a stage that runs earlier in sequence.
 * (Approvals in a parallel sibling do not gate a branch.)
 */
export function approvalsBefore(pipeline: ValidPipeline): Map<Stage, ApprovalFact[]> {
  const refs = new Map(walkStages(pipeline).map((ref) => [ref.stage, ref]));
  const gates = new Map<Stage, ApprovalFact[]>();
  const inSubtree = (stage: Stage): ApprovalFact[] => [
    ...approvalsOf(refs.get(stage)!),
    ...[...(stage.stages ?? []), ...(stage.parallel ?? []), ...(stage.matrix?.stages ?? [])].flatMap(inSubtree),
  ];
  const visit = (stages: readonly Stage[], inherited: ApprovalFact[]) => {
    let passed = inherited;
    for (const stage of stages) {
      const gate = [...passed, ...approvalsOf(refs.get(stage)!)];
      gates.set(stage, gate);
      if (stage.stages) visit(stage.stages, gate);
      for (const branch of stage.parallel ?? []) visit([branch], gate);
      if (stage.matrix) visit(stage.matrix.stages, gate);
      passed = [...passed, ...inSubtree(stage)];
    }
  };
  visit(pipeline.stages, []);
  return gates;
}

/** `"Deploy?" by release-managers` */
export function describeApproval(approval: Pick<ApprovalFact, 'message' | 'submitters'>): string {
  return `${JSON.stringify(approval.message)} by ${approval.submitters ? approval.submitters.join(', ') : 'anyone with Build permission'}`;
}

// ---------------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------------

/** One use of a Jenkins credential. */
export interface CredentialUse {
  /** Jenkins credentials id. */
  id: string;
  /** How it is used: `environment SNYK_TOKEN`, `withCredentials string → SNYK_TOKEN`, `git`, ... */
  how: string;
  modelPath: ModelPath;
  /** Names of the stage (empty at pipeline level). */
  stagePath: string[];
}

/** Credential ids bound by a withCredentials step (its own bindings only). */
export function credentialIdsOfStep(step: StepLike): string[] {
  if (step.step !== 'withCredentials' || !Array.isArray(step.bindings)) return [];
  return (step.bindings as { credentialsId?: unknown }[]).map((b) => String(b.credentialsId));
}

const CREDENTIAL_KEY = /^(?:credentials?Id|credentials|\w*CredentialsId|\w*CredentialId|\w*credential)$/i;

/** Credential ids in a step's arguments or fields (`credentialsId`, `tokenCredentialId`, ...). */
function credentialFields(value: unknown, path: ModelPath, out: { id: string; key: string; path: ModelPath }[]): void {
  if (Array.isArray(value)) value.forEach((item, i) => credentialFields(item, [...path, i], out));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'steps' || key === 'body' || key === 'suppressions') continue;
      if (CREDENTIAL_KEY.test(key) && typeof inner === 'string' && inner) out.push({ id: inner, key, path: [...path, key] });
      else credentialFields(inner, [...path, key], out);
    }
  }
}

function credentialsOfStep(ref: StepRef, stagePath: string[]): CredentialUse[] {
  const { step, modelPath } = ref;
  if (step.step === 'withCredentials' && Array.isArray(step.bindings)) {
    return (step.bindings as Record<string, unknown>[]).map((binding, i) => {
      const variables = Object.entries(binding)
        .filter(([key]) => /Variable$|^variable$/.test(key))
        .map(([, v]) => String(v));
      return {
        id: String(binding.credentialsId),
        how: `withCredentials ${String(binding.type)} → ${variables.join(', ')}`,
        modelPath: [...modelPath, 'bindings', i],
        stagePath,
      };
    });
  }
  const found: { id: string; key: string; path: ModelPath }[] = [];
  const { steps: _steps, body: _body, ...fields } = step;
  credentialFields(fields, modelPath, found);
  const what = step.step === 'step' ? String(step.name) : step.step;
  const uses: CredentialUse[] = found.map(({ id, key, path }) => ({ id, how: `${what} ${key}`, modelPath: path, stagePath }));
  // Defaults the lowering binds when the field is absent are credentials all the same.
  if (step.step === 'snykScan' && step.tokenCredentialId === undefined) {
    uses.push({ id: DELIVERY_DEFAULTS.snyk.tokenCredentialId, how: 'snykScan token (default)', modelPath, stagePath });
  }
  // An assumed AWS role (delivery steps' `aws`, or a raw `withAWS`) grants what the role may do.
  const role = awsRoleOf(step);
  if (role) uses.push({ id: role.id, how: `${what} assumes AWS role`, modelPath: [...modelPath, ...role.path], stagePath });
  return uses;
}

/** The AWS role a step assumes, as an ARN-like id. */
function awsRoleOf(step: StepLike): { id: string; path: ModelPath } | undefined {
  const source =
    typeof step.aws === 'object' && step.aws !== null
      ? { value: step.aws as Record<string, unknown>, field: 'aws', accountKey: 'account' }
      : step.step === 'step' && step.name === 'withAWS' && typeof step.args === 'object' && step.args !== null && !Array.isArray(step.args)
        ? { value: step.args as Record<string, unknown>, field: 'args', accountKey: 'roleAccount' }
        : undefined;
  if (!source || typeof source.value.role !== 'string') return undefined;
  const role = source.value.role;
  const account = source.value[source.accountKey];
  const id = role.startsWith('arn:') ? role : `arn:aws:iam::${typeof account === 'string' ? account : '?'}:role/${role}`;
  return { id, path: [source.field, 'role'] };
}

function credentialsOfEnvironment(env: Record<string, unknown> | undefined, path: ModelPath, stagePath: string[]): CredentialUse[] {
  if (!env) return [];
  return Object.entries(env).flatMap(([name, value]) =>
    typeof value === 'object' && value !== null && typeof (value as { credentials?: unknown }).credentials === 'string'
      ? [{ id: (value as { credentials: string }).credentials, how: `environment ${name} = credentials()`, modelPath: [...path, name], stagePath }]
      : [],
  );
}

function credentialsOfAgent(agent: Agent | undefined, path: ModelPath, stagePath: string[]): CredentialUse[] {
  if (typeof agent !== 'object' || !('registryCredentialsId' in agent) || !agent.registryCredentialsId) return [];
  return [{ id: agent.registryCredentialsId, how: `${agent.type} agent registry`, modelPath: [...path, 'registryCredentialsId'], stagePath }];
}

/** Every credential the pipeline uses. */
export function pipelineCredentials(pipeline: ValidPipeline): CredentialUse[] {
  const uses: CredentialUse[] = [
    ...credentialsOfEnvironment(pipeline.environment, ['environment'], []),
    ...credentialsOfAgent(pipeline.agent, ['agent'], []),
  ];
  for (const ref of walkStages(pipeline)) {
    const { stage, modelPath, namePath } = ref;
    uses.push(...credentialsOfEnvironment(stage.environment, [...modelPath, 'environment'], namePath));
    uses.push(...credentialsOfAgent(stage.agent, [...modelPath, 'agent'], namePath));
    if (stage.matrix) {
      uses.push(...credentialsOfEnvironment(stage.matrix.environment, [...modelPath, 'matrix', 'environment'], namePath));
      uses.push(...credentialsOfAgent(stage.matrix.agent, [...modelPath, 'matrix', 'agent'], namePath));
    }
    for (const step of stageOwnSteps(ref)) uses.push(...credentialsOfStep(step, namePath));
  }
  for (const step of walkPostSteps(pipeline.post as Record<string, unknown> | undefined, ['post'])) uses.push(...credentialsOfStep(step, []));
  return uses;
}

// ---------------------------------------------------------------------------------------------
// Escape hatches
// ---------------------------------------------------------------------------------------------

/** Raw Groovy expressions (`groovy(...)`) anywhere inside a value, as source strings. */
export function groovyExpressionsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(groovyExpressionsIn);
  if (typeof value === 'object' && value !== null) {
    if (typeof (value as { $groovy?: unknown }).$groovy === 'string') return [(value as { $groovy: string }).$groovy];
    return Object.values(value).flatMap(groovyExpressionsIn);
  }
  return [];
}

/** What is raw about a step, if anything: `script {}`, a raw `step(...)`, `groovy(...)` arguments. */
export function escapeHatchOf(step: StepLike): string | undefined {
  if (step.step === 'script') return 'raw Groovy script block';
  if (step.step === 'step') return `raw step ${String(step.name)}(...) not modelled by pipewright`;
  const { steps: _steps, body: _body, ...fields } = step;
  if (groovyExpressionsIn(fields).length > 0) return 'raw Groovy expression in its arguments';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// when
// ---------------------------------------------------------------------------------------------

const patternText = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const { pattern, comparator } = value as { pattern?: string; comparator?: string };
    return comparator && comparator !== 'GLOB' ? `${pattern ?? ''} (${comparator.toLowerCase()})` : (pattern ?? '');
  }
  return String(value);
};

const valueText = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value);

/** One condition (one key of a `when`) in words: `branch main`, `not changeRequest`. */
function describeCondition(key: string, value: unknown): string {
  switch (key) {
    case 'branch':
    case 'tag':
    case 'changeset':
      return `${key} ${patternText(value)}`;
    case 'buildingTag':
    case 'isRestartedRun':
      return key;
    case 'changelog':
      return `changelog /${String(value)}/`;
    case 'changeRequest':
      if (value === true) return 'changeRequest';
      return `changeRequest ${Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${k}=${valueText(v)}`)
        .join(' ')}`;
    case 'environment': {
      const { name, value: expected } = value as { name: string; value: string };
      return `env ${name} == ${expected}`;
    }
    case 'equals': {
      const { expected, actual } = value as { expected: unknown; actual: unknown };
      return `${valueText(actual)} == ${valueText(expected)}`;
    }
    case 'expression':
      return `expression { ${String(value)} }`;
    case 'triggeredBy':
      return `triggeredBy ${typeof value === 'string' ? value : (value as { cause: string }).cause}`;
    case 'allOf':
      return (value as Record<string, unknown>[]).map((inner) => describeWhen(inner, true)).join(' and ');
    case 'anyOf':
      return (value as Record<string, unknown>[]).map((inner) => describeWhen(inner, true)).join(' or ');
    case 'not':
      return `not ${describeWhen(value as Record<string, unknown>, true)}`;
    default:
      return `${key} ${valueText(value)}`;
  }
}

/** The condition keys of `when`, in emission order (the model's own list). */
const WHEN_KEYS = WHEN_CONDITION_KEYS;

/** A `when` in words, e.g. `branch main and not changeRequest`. */
export function describeWhen(when: Record<string, unknown> | When | undefined, nested = false): string {
  if (!when) return '';
  const parts = WHEN_KEYS.filter((key) => (when as Record<string, unknown>)[key] !== undefined).map((key) =>
    describeCondition(key, (when as Record<string, unknown>)[key]),
  );
  const text = parts.join(' and ');
  return nested && (parts.length > 1 || /\s(?:and|or)\s/.test(text)) ? `(${text})` : text;
}

/**
 * One condition in a canonical form, so that equivalent spellings compare equal: a GLOB pattern
 * without wildcards (`branch: 'main'`) matches exactly what `{ pattern: 'main', comparator:
 * 'EQUALS' }` matches.
 */
function normalizeCondition(key: string, value: unknown): unknown {
  if (key !== 'branch' && key !== 'tag') {
    if (key === 'allOf' || key === 'anyOf') {
      return (value as Record<string, unknown>[]).map((inner) =>
        Object.fromEntries(Object.entries(inner).map(([k, v]) => [k, normalizeCondition(k, v)])),
      );
    }
    if (key === 'not') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, normalizeCondition(k, v)]));
    }
    return value;
  }
  const { pattern, comparator } = typeof value === 'string' ? { pattern: value, comparator: 'GLOB' } : (value as { pattern: string; comparator?: string });
  const effective = comparator ?? 'GLOB';
  if (effective === 'EQUALS' || (effective === 'GLOB' && !/[*?[\\]/.test(pattern))) return { equals: pattern };
  return { pattern, comparator: effective };
}

/**
 * The conditions that all have to hold for a stage to run, as comparable terms: the `when` of the
 * stage and of every enclosing stage, with `allOf` flattened. Evaluation-order flags are not terms.
 */
export function whenTerms(whens: readonly (When | undefined)[]): { key: string; text: string; id: string }[] {
  const terms: { key: string; text: string; id: string }[] = [];
  const add = (when: Record<string, unknown>) => {
    for (const key of WHEN_KEYS) {
      const value = when[key];
      if (value === undefined) continue;
      if (key === 'allOf') for (const inner of value as Record<string, unknown>[]) add(inner);
      else terms.push({ key, text: describeCondition(key, value), id: `${key}:${stableStringify(normalizeCondition(key, value))}` });
    }
  };
  for (const when of whens) if (when) add(when as Record<string, unknown>);
  return terms;
}

/** JSON with object keys sorted, so equal values give equal strings. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** Deep equality of plain data (key order ignored). */
export const sameValue = (a: unknown, b: unknown): boolean => stableStringify(a) === stableStringify(b);

/** A short description of an agent: `any`, `label linux`, `docker node:20`. */
export function describeAgent(agent: Agent | undefined): string {
  if (agent === undefined) return '(inherited)';
  if (typeof agent === 'string') return agent;
  switch (agent.type) {
    case 'label':
    case 'node':
      return `${agent.type} ${agent.label}`;
    case 'docker':
      return `docker ${agent.image}`;
    case 'dockerfile':
      return `dockerfile ${agent.filename ?? 'Dockerfile'}`;
    case 'kubernetes':
      return `kubernetes${agent.inheritFrom ? ` ${agent.inheritFrom}` : ''}${agent.yamlFile ? ` ${agent.yamlFile}` : ''}`;
    case 'custom':
      return `${agent.name} (custom agent)`;
  }
}
