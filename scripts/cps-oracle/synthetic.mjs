// Writes the synthetic-growth calibration fixtures (N stages) to test/limits/fixtures/:
// node scripts/cps-oracle/synthetic.mjs
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '../../test/limits/fixtures');

/** N minimal stages: one sh each. */
function minimal(n) {
  const stages = Array.from({ length: n }, (_, i) => `    stage('Step ${i + 1}') {\n      steps {\n        sh 'make step-${i + 1}'\n      }\n    }`);
  return `pipeline {\n  agent any\n  stages {\n${stages.join('\n')}\n  }\n}\n`;
}

/** N deploy-like stages: agent, when, options, environment, three steps, post. */
function rich(n) {
  const stages = Array.from({ length: n }, (_, i) => `    stage('Deploy ${i + 1}') {
      agent {
        label 'deploy-${i % 3}'
      }
      when {
        branch 'main'
        beforeAgent true
      }
      options {
        timeout(time: 30, unit: 'MINUTES')
        lock(resource: 'env-${i + 1}')
      }
      environment {
        TARGET = 'env-${i + 1}'
      }
      steps {
        withAWS(role: 'deployer-${i + 1}', region: 'eu-west-1') {
          sh label: 'deploy', script: './deploy.sh "$TARGET"'
          sh label: 'verify', script: './verify.sh "$TARGET"'
        }
        echo 'deployed env-${i + 1}'
      }
      post {
        failure {
          sh label: 'rollback', script: './rollback.sh "$TARGET"'
        }
      }
    }`);
  return `pipeline {\n  agent none\n  stages {\n${stages.join('\n')}\n  }\n}\n`;
}

for (const n of [10, 50, 100]) writeFileSync(join(out, `synthetic-minimal-${n}.Jenkinsfile`), minimal(n));
for (const n of [5, 20, 40, 60]) writeFileSync(join(out, `synthetic-rich-${n}.Jenkinsfile`), rich(n));
