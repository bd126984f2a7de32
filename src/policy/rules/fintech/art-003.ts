import { deliveryFacts, shellLines } from '../../facts.ts';
import { defineRule, type RuleFinding } from '../../rule.ts';

/** ART-003: base and agent images are pinned; builds pull fresh base images. */
export default defineRule({
  meta: {
    id: 'ART-003',
    title: 'Pin agent images by digest; build with --pull',
    pack: 'fintech',
    severity: 'warning',
    rationale:
      'External build inputs are locked: a container agent image is referenced by digest (`image@sha256:…`), so the build ' +
      'environment cannot change underneath a commit, and `docker build` runs with `--pull` so the pinned base image is ' +
      'resolved fresh rather than from a stale local cache.',
    standards: ['CIS Software Supply Chain 2.4.2', 'SLSA Build L3'],
    exception: 'An internal golden base image with an immutable tag.',
    example: {
      bad: "agent: { type: 'docker', image: 'node:20' }",
      good: "agent: { type: 'docker', image: 'node:20@sha256:3f2e9c4b1a0d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f' }",
    },
  },
  check({ index }) {
    const facts = deliveryFacts(index);
    const findings: RuleFinding[] = [];
    for (const { path, agent } of index.agents) {
      if (typeof agent !== 'object' || agent.type !== 'docker' || /@sha256:[0-9a-f]{64}$/.test(agent.image)) continue;
      findings.push({ path: [...path, 'image'], message: `agent image '${agent.image}' is not pinned by digest`, expected: 'image@sha256:<digest>', found: agent.image });
    }
    for (const info of facts.ofKind('dockerBuild')) {
      if (info.step.pull === false) findings.push({ path: [...info.path, 'pull'], message: 'dockerBuild with pull: false may build on a stale base image', expected: 'pull: true', found: 'false' });
    }
    for (const info of facts.shell) {
      for (const line of shellLines(info.step.script)) {
        if (/\bdocker\s+(?:buildx\s+)?build\b/.test(line) && !/--pull\b/.test(line)) {
          findings.push({ path: [...info.path, 'script'], message: 'docker build without --pull may use a stale base image', expected: '--pull', found: 'no --pull' });
          break;
        }
      }
    }
    return findings;
  },
});
