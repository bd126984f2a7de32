// The plugin repositories the bundled catalog is generated from (issue #11's list plus the
// pipeline plugins that provide steps pipewright emits: `parallel`, `checkout`, `build`,
// `properties`, `node`; workflow-api for types parameters use: `FlowDurabilityHint`,
// `ErrorCondition`). Each repository is read at its newest release tag (matching `tag`); the
// version pinned in the catalog is that tag without its prefix, the commit is the tag's commit.
//
// `id` names the plugin for modules whose packaging is not `hpi` (Jenkins core's `jenkins-core`
// jar is the `core` plugin); otherwise the module's artifactId is the plugin id.
// `roots` limits the scan (default: every module's src/main/java and src/main/groovy).

/** @typedef {{repo: string, tag: RegExp, id?: string, roots?: string[]}} PluginSource */

/**
 * A release tag: `<version>`, `v<version>` or `<artifactId>-<version>` (older releases of most
 * plugins were tagged with the artifactId); the capture group is the version.
 */
const plain = /^(?:[A-Za-z][\w-]*?-)?v?(\d+(?:\.[0-9A-Za-z_]+)+)$/;
const prefixed = (prefix) => new RegExp(`^${prefix}-v?(\\d+(?:\\.[0-9A-Za-z_]+)*)$`);

/** @type {PluginSource[]} */
export const PLUGIN_SOURCES = [
  { repo: 'jenkinsci/workflow-basic-steps-plugin', tag: plain },
  { repo: 'jenkinsci/workflow-durable-task-step-plugin', tag: plain },
  { repo: 'jenkinsci/pipeline-model-definition-plugin', tag: plain },
  { repo: 'jenkinsci/pipeline-input-step-plugin', tag: plain },
  { repo: 'jenkinsci/pipeline-milestone-step-plugin', tag: plain },
  { repo: 'jenkinsci/pipeline-stage-step-plugin', tag: plain },
  { repo: 'jenkinsci/lockable-resources-plugin', tag: plain },
  { repo: 'jenkinsci/credentials-binding-plugin', tag: plain },
  { repo: 'jenkinsci/pipeline-aws-plugin', tag: prefixed('pipeline-aws') },
  { repo: 'jenkinsci/docker-workflow-plugin', tag: plain },
  { repo: 'jenkinsci/kubernetes-plugin', tag: plain },
  { repo: 'SonarSource/sonar-scanner-jenkins', tag: prefixed('sonar') },
  { repo: 'jenkinsci/slack-plugin', tag: plain },
  { repo: 'jenkinsci/office-365-connector-plugin', tag: prefixed('Office-365-Connector') },
  { repo: 'jenkinsci/junit-plugin', tag: plain },
  { repo: 'jenkinsci/timestamper-plugin', tag: prefixed('timestamper') },
  { repo: 'jenkinsci/nodejs-plugin', tag: prefixed('nodejs') },
  { repo: 'jenkinsci/git-plugin', tag: prefixed('git') },
  { repo: 'jenkinsci/ws-cleanup-plugin', tag: prefixed('ws-cleanup') },
  { repo: 'jenkinsci/pipeline-utility-steps-plugin', tag: plain },
  { repo: 'jenkinsci/email-ext-plugin', tag: plain },
  { repo: 'jenkinsci/mailer-plugin', tag: plain },
  { repo: 'jenkinsci/htmlpublisher-plugin', tag: prefixed('htmlpublisher') },
  { repo: 'jenkinsci/warnings-ng-plugin', tag: plain },
  { repo: 'jenkinsci/ansicolor-plugin', tag: plain },
  { repo: 'jenkinsci/workflow-step-api-plugin', tag: plain },
  { repo: 'jenkinsci/workflow-api-plugin', tag: plain },
  { repo: 'jenkinsci/workflow-support-plugin', tag: plain },
  { repo: 'jenkinsci/workflow-job-plugin', tag: plain },
  { repo: 'jenkinsci/workflow-cps-plugin', tag: plain, id: 'workflow-cps', roots: ['plugin/src/main/java', 'plugin/src/main/groovy'] },
  { repo: 'jenkinsci/workflow-scm-step-plugin', tag: plain },
  { repo: 'jenkinsci/workflow-multibranch-plugin', tag: plain },
  { repo: 'jenkinsci/pipeline-build-step-plugin', tag: plain },
  // Core: the newest LTS release (x.y.z), only the core module.
  { repo: 'jenkinsci/jenkins', tag: /^jenkins-(\d+\.\d+\.\d+)$/, id: 'core', roots: ['core/src/main/java'] },
];
