import { actsWithScope, cachedProductionReach, productionCapabilities, type ProductionCapability } from '../../capabilities.ts';
import { shellLines } from '../../facts.ts';
import type { StepInfo } from '../../model-index.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/**
 * Command shapes that change an environment by hand: extra evidence in the message, never the
 * gate (the capability in scope is).
 */
const CHANGE_COMMANDS: readonly [RegExp, string][] = [
  [/\baws\s+ecs\s+(?:update-service|deploy|create-service|run-task)\b/, 'aws ecs'],
  [/\bkubectl\b[^\n]*\s(?:apply|set\s+image|replace|patch|delete|rollout\s+restart|scale)\b/, 'kubectl'],
  [/\bhelm\s+(?:upgrade|install|uninstall|rollback)\b/, 'helm'],
  [/\bterraform\b[^\n]*\s(?:apply|destroy|import)\b/, 'terraform apply'],
  [/\baws\s+s3\s+(?:sync|cp|mv|rm)\b[^\n]*s3:\/\//, 'aws s3 write'],
  [/\baws\s+lambda\s+(?:update-function-code|update-function-configuration|publish-version|update-alias)\b/, 'aws lambda update'],
  [/\baws\s+cloudformation\s+(?:deploy|create-stack|update-stack|delete-stack|execute-change-set)\b/, 'aws cloudformation deploy'],
  [/\bgit\s+push\b/, 'git push'],
  [/(?:^|[\s;&|])(?:\.{0,2}\/)?[\w./-]*(?:release|deploy|promote|rollout)[\w.-]*\.(?:sh|py|rb|js|ts)\b/, 'a release script'],
  [/^\s*(?:eval\s+)?["']?\$\{?[A-Za-z_]\w*\}?["']?(?:\s|$)/m, 'a command taken from a variable'],
];

/** What a shell script visibly does, for the message. */
function changeEvidence(script: string): string | undefined {
  for (const line of shellLines(script)) {
    const found = CHANGE_COMMANDS.find(([re]) => re.test(line));
    if (found) return found[1];
  }
  return undefined;
}

interface ReviewedScript {
  script: string;
  reason: string;
}

const reviewedScriptsOf = (value: unknown): ReviewedScript[] =>
  Array.isArray(value)
    ? value.filter(
        (v): v is ReviewedScript =>
          typeof v === 'object' && v !== null && typeof v.script === 'string' && typeof v.reason === 'string' && v.reason.trim().length >= 10,
      )
    : [];

const stringList = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

const describeStep = (site: StepInfo): string => {
  if (site.origin === 'groovy') {
    const where = { script: 'a script block', when: 'a when condition', environment: 'an environment value', value: 'a groovy() value', prologue: 'the prologue', epilogue: 'the epilogue' }[site.groovy!.source.kind];
    return `${site.groovy!.call.name}() called from ${where}`;
  }
  return site.step.step === 'step' ? `plugin step '${site.step.name}'` : `'${site.step.step}'`;
};

const summarize = (capabilities: readonly ProductionCapability[]) => capabilities.map((c) => c.description).join(', ');

/** IAM-005: production access is used only by typed delivery steps. */
export default defineRule({
  meta: {
    id: 'IAM-005',
    title: 'Production access only in typed delivery steps',
    pack: 'fintech',
    severity: 'error',
    rationale:
      'What a step can change is decided by what it has in scope, not by the command it spells: a production AWS role or ' +
      'account (`withAWS`), a production credential (`withCredentials`, `environment: { X: credentials(...) }`, a ' +
      'wrapper’s `credentialsId`) or an agent reserved for production (its instance profile and keys). A hand-written ' +
      'step holding such a capability (`sh`, `script`, a plugin step, a step called from raw Groovy) can deploy, delete or ' +
      'exfiltrate with none of the controls the typed delivery steps carry (digest pinning, signature checks, rollback, ' +
      'evidence), whatever its command looks like (`kubectl --context prod apply`, `terraform apply`, `./release.sh`, ' +
      '`$CMD`). Production comes from `policy.environments` (accounts, agent labels), the pipeline’s declared ' +
      'environments (account, deploy role, agent label), credential ids naming a production environment, and the rule ' +
      'option `productionCredentials` (globs). Exact scripts the security team reviewed can be listed in the rule option ' +
      '`reviewedScripts` (`{ script, reason }`) in the organisation’s configuration. See docs/policy.md#production-capabilities.',
    standards: ['OWASP CICD-SEC-1 (insufficient flow control)', 'OWASP CICD-SEC-5 (insufficient PBAC)', 'PCI DSS 4.0.1 6.5.1', 'PCI DSS 4.0.1 7.2.5'],
    exception: 'A production operation with no typed step (a one-off data fix): suppress on that step with the reason and an expiry.',
    example: {
      bad: "{ name: 'Release', steps: [step('withAWS', { role: 'ecs-deployer-prod', roleAccount: '333333333333' }, [sh('terraform apply -auto-approve')])] }",
      good: "{ name: 'Deploy prod', agent: { type: 'label', label: 'prod-deployer' }, steps: [ecsDeploy({ environment: 'prod', aws: prodAws, ...prodService })] }",
    },
  },
  check(context) {
    const { index, options } = context;
    const reach = cachedProductionReach(index, context, stringList(options['productionCredentials']));
    const reviewed = new Set(reviewedScriptsOf(options['reviewedScripts']).map((r) => r.script.trim()));
    const findings: RuleFinding[] = [];
    const flaggedScripts = new Set<StepInfo>();
    for (let stepAt = 0; stepAt < index.steps.length; stepAt++) {
      const site = index.steps[stepAt]!;
      const step = site.step;
      if (!actsWithScope(site)) continue;
      if (step.step === 'sh' && site.origin === 'model' && reviewed.has(step.script.trim())) continue;
      const capabilities = productionCapabilities(site, reach);
      if (capabilities.length === 0) continue;
      const inScript = site.origin === 'groovy' && site.groovy!.source.kind === 'script' ? site.enclosing[site.enclosing.length - 1] : undefined;
      if (inScript && flaggedScripts.has(inScript)) {
        // The script block is reported already; a call inside it only adds something when a
        // wrapper written in the Groovy (`withAWS(...) { }`) grants more.
        const outer = new Set(productionCapabilities(inScript, reach).map((c) => c.path.join('/')));
        if (capabilities.every((c) => outer.has(c.path.join('/')))) continue;
      }
      if (step.step === 'script') flaggedScripts.add(site);
      const evidence = step.step === 'sh' ? changeEvidence(step.script) : undefined;
      const environment = capabilities[0]!.environment;
      findings.push({
        path: site.path,
        message:
          `${describeStep(site)} can reach ${environment} through ${summarize(capabilities)} but is not a typed delivery step` +
          `${evidence ? ` (it runs ${evidence})` : ''}; make the change with a typed delivery step, or suppress IAM-005 here with the reason`,
        environment,
        expected: 'a typed delivery step (ecsDeploy, eksDeploy, gitopsBump, s3Publish, ...) or a suppression with a reason',
        found: `${site.origin === 'groovy' ? site.groovy!.call.name : step.step === 'step' ? step.name : step.step} with ${environment} access`,
      });
    }
    return findings;
  },
});
