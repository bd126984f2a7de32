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

describe('awsShellSteps reads withEnv blocks', () => {
  const jenkinsfile = `pipeline {
  agent none
  stages {
    stage('Deploy') {
      steps {
        withAWS(role: 'deployer', roleAccount: '111111111111', region: 'eu-west-1') {
          sh(label: 'outside', script: 'aws sts get-caller-identity')
          withEnv(['A=1', 'B=2']) {
            sh(label: 'one', script: 'aws ecs describe-services --cluster "$A"')
            withEnv(['B=3', 'C=x=y', '=bad', 'noequals']) {
              withEnv(['D=4']) {
                sh(label: 'two', script: 'aws ecs describe-services --cluster "$B"')
                sh(label: 'three', script: 'aws ecs describe-services --cluster "$C"')
              }
            }
          }
        }
        withEnv(['UNUSED=1']) {
          sh(label: 'no role', script: 'aws sts get-caller-identity')
        }
      }
    }
  }
}
`;

  /** Each `sh` under a role with the variables of the blocks around it, copied block by block (the plain reading). */
  function plainEnvs(statements: readonly Statement[], role: boolean, env: Record<string, string>, found: [string, Record<string, string>][]): void {
    for (const statement of statements) {
      if (statement.type !== 'Call') continue;
      let scope = env;
      const first = statement.args.positional[0];
      if (statement.name === 'withEnv' && first?.type === 'List') {
        scope = { ...env };
        for (const item of first.items) {
          if (item.type !== 'String') continue;
          const at = item.value.indexOf('=');
          if (at > 0) scope[item.value.slice(0, at)] = item.value.slice(at + 1);
        }
      }
      if (statement.name === 'sh' && role) {
        const label = statement.args.named.find((entry) => entry.key === 'label')?.value;
        found.push([label?.type === 'String' ? label.value : 'sh', scope]);
      }
      plainEnvs(statement.body ?? [], role || statement.name === 'withAWS', scope, found);
    }
  }

  it('as copying each block does, and one object per block', () => {
    const { ast } = parseJenkinsfile(jenkinsfile);
    expect(ast).toBeDefined();
    const expected: [string, Record<string, string>][] = [];
    plainEnvs(ast!.pipeline.body ?? [], false, {}, expected);
    const found = awsShellSteps(ast!);
    expect(found.map((step) => [step.label, step.env])).toEqual(expected);
    expect(found.map((step) => Object.keys(step.env))).toEqual(expected.map(([, env]) => Object.keys(env)));
    expect(expected.map(([label]) => label)).toEqual(['outside', 'one', 'two', 'three']);
    expect(found[2]!.env).toEqual({ A: '1', B: '3', C: 'x=y', D: '4' });
    // The steps of one block share its variables; other blocks have their own.
    expect(found[2]!.env).toBe(found[3]!.env);
    expect(found[1]!.env).not.toBe(found[2]!.env);
  });
});
