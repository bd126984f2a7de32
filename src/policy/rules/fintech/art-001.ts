import { deliveryFacts, shellLines } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

const MUTABLE_TAG = /:(?:latest|\$\{?(?:BRANCH_NAME|GIT_BRANCH|CHANGE_BRANCH|GIT_LOCAL_BRANCH)\}?)(?=["'\s]|$)/;

/** ART-001: images are tagged immutably (commit SHA), never `latest` or a branch name. */
export default defineRule({
  meta: {
    id: 'ART-001',
    title: 'Immutable image tags only',
    pack: 'fintech',
    severity: 'error',
    rationale:
      '`latest` and branch-name tags move: what they point to at deploy time is not what was scanned and approved. Images ' +
      'are tagged with the commit SHA (the typed `dockerBuild` has no tag option for this reason) and the ECR repository ' +
      'has tag mutability IMMUTABLE.',
    standards: ['AWS Security Hub ECR.2', 'OWASP CICD-SEC-9'],
    example: {
      bad: "sh('docker build -t \"$ECR_REGISTRY/payments-api:latest\" .')",
      good: "dockerBuild({ repository: 'payments-api' })  // tagged <repository>:<commit sha>",
    },
  },
  check({ index }) {
    const findings: RuleFinding[] = [];
    for (const info of deliveryFacts(index).shell) {
      for (const line of shellLines(info.step.script)) {
        if (!/\bdocker\s+(?:buildx\s+)?(?:build|tag|push)\b/.test(line)) continue;
        const mutable = MUTABLE_TAG.exec(line);
        const untagged = /\s(?:-t|--tag)[ =]["']?([A-Za-z0-9./_-]+)["']?(?:\s|$)/.exec(line);
        if (mutable || (untagged && !untagged[1]!.includes(':'))) {
          findings.push({
            path: [...info.path, 'script'],
            message: mutable ? `the image is tagged '${mutable[0].slice(1)}', a tag that moves` : `the image is tagged '${untagged![1]}' without a tag, i.e. latest`,
            expected: 'a commit-SHA tag',
            found: mutable ? mutable[0].slice(1) : 'latest (implicit)',
          });
          break;
        }
      }
    }
    return findings;
  },
});
