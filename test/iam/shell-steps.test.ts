/**
 * awsShellSteps reads each `withAWS` block's role from its named arguments in one pass: a role
 * needs string `role`, `roleAccount` and `region`; `duration` counts as a number, the session name
 * as a string. Compared with a plain reading of the same arguments (first match per name) over
 * varied argument lists (order, optional ones, wrong types, one missing).
 */
import { describe, expect, it } from 'vitest';
import type { CallStatement, Statement } from '../../src/jenkinsfile/ast.ts';
import { parseJenkinsfile } from '../../src/jenkinsfile/parse.ts';
import { awsShellSteps } from '../../src/iam/generate.ts';

const jenkinsfileWith = (args: string) => `pipeline {
  agent none
  stages {
    stage('Push') {
      steps {
        withAWS(${args}) {
          sh(label: 'push', script: 'aws ecr describe-images --repository-name x')
        }
      }
    }
  }
}
`;

/** The first `withAWS` call of a parsed Jenkinsfile. */
function withAwsCall(statements: readonly Statement[]): CallStatement | undefined {
  for (const statement of statements) {
    if (statement.type !== 'Call') continue;
    if (statement.name === 'withAWS') return statement;
    const inner = withAwsCall(statement.body ?? []);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/** The role as read argument by argument (the first named argument of each name). */
function plainReading(call: CallStatement): Record<string, unknown> | undefined {
  const first = (name: string) => call.args.named.find((entry) => entry.key === name)?.value;
  const text = (name: string) => {
    const value = first(name);
    return value?.type === 'String' ? value.value : undefined;
  };
  const [role, account, region] = [text('role'), text('roleAccount'), text('region')];
  if (role === undefined || account === undefined || region === undefined) return undefined;
  const duration = first('duration');
  const read: Record<string, unknown> = { role, account, region, durationSeconds: duration?.type === 'Number' ? Number(duration.text) : undefined };
  if (text('roleSessionName') !== undefined) read.roleSessionName = text('roleSessionName');
  return read;
}

describe('awsShellSteps reads withAWS arguments', () => {
  const argumentLists = [
    "role: 'pusher', roleAccount: '111111111111', region: 'eu-west-1'",
    "region: 'eu-west-1', role: 'pusher', roleAccount: '111111111111', duration: 900",
    "role: 'pusher', roleAccount: '111111111111', region: 'eu-west-1', roleSessionName: 'jenkins-push', duration: 3600",
    "roleAccount: '222222222222', role: 'arn:aws:iam::222222222222:role/pusher', region: 'us-gov-west-1'",
    "role: 'pusher', roleAccount: '111111111111'",
    "role: 42, roleAccount: '111111111111', region: 'eu-west-1'",
    "role: 'pusher', roleAccount: '111111111111', region: 'eu-west-1', duration: '900', roleSessionName: 7",
  ];

  it('as a plain first-match reading does', () => {
    const roles: unknown[] = [];
    for (const args of argumentLists) {
      const { ast } = parseJenkinsfile(jenkinsfileWith(args));
      expect(ast, args).toBeDefined();
      const expected = plainReading(withAwsCall(ast!.pipeline.body ?? [])!);
      const found = awsShellSteps(ast!);
      if (expected === undefined) expect(found, args).toEqual([]);
      else expect(found.map((step) => step.aws), args).toEqual([expected]);
      roles.push(expected);
    }
    // The lists differ where it shows: several roles, and some lists name none.
    expect(roles.filter((role) => role === undefined).length).toBe(2);
    expect(new Set(roles.map((role) => JSON.stringify(role))).size).toBeGreaterThan(4);
  });
});
