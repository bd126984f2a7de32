/**
 * `pipewright iam --format terraform|cloudformation`: parsed back and compared with the JSON
 * policies (Terraform through a small parser of the HCL subset it prints: blocks, string and
 * list attributes, comments), deterministic across runs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { compileProject } from '../../src/compile.ts';
import { generateIamPolicies, type PipelineIamPolicies } from '../../src/iam/generate.ts';
import { formatPolicies, roleNameOf } from '../../src/iam/formats.ts';
import type { PolicyDocument, PolicyStatement } from '../../src/iam/policy-document.ts';

const ROOT = resolve(import.meta.dirname, '../..');
let all: PipelineIamPolicies[] = [];

beforeAll(async () => {
  const run = await compileProject({ root: ROOT });
  for (const pipeline of run.pipelines) all.push(...(await generateIamPolicies(pipeline, { root: ROOT, ...(run.config.iam ? { config: run.config.iam } : {}) })));
}, 180_000);

interface HclBlock {
  type: string;
  labels: string[];
  attributes: Record<string, unknown>;
  blocks: HclBlock[];
}

/** Parses the HCL subset pipewright prints; throws on anything else (unbalanced braces, bare words). */
function parseHcl(text: string): HclBlock[] {
  const tokens = [...text.replace(/^\s*#.*$/gm, '').matchAll(/"(?:[^"\\]|\\.)*"|[{}\[\]=,]|[A-Za-z_][A-Za-z0-9_]*/g)].map((m) => m[0]);
  let at = 0;
  const str = (token: string) => JSON.parse(token.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{')) as string;
  const value = (): unknown => {
    const token = tokens[at++]!;
    if (token.startsWith('"')) return str(token);
    if (token !== '[') throw new Error(`unexpected ${token}`);
    const list: unknown[] = [];
    while (tokens[at] !== ']') {
      list.push(value());
      if (tokens[at] === ',') at++;
    }
    at++;
    return list;
  };
  const body = (): Pick<HclBlock, 'attributes' | 'blocks'> => {
    const result: Pick<HclBlock, 'attributes' | 'blocks'> = { attributes: {}, blocks: [] };
    while (at < tokens.length && tokens[at] !== '}') result.blocks.push(...blockOrAttribute(result));
    return result;
  };
  const blockOrAttribute = (into: Pick<HclBlock, 'attributes' | 'blocks'>): HclBlock[] => {
    const name = tokens[at++]!;
    if (!/^[A-Za-z_]/.test(name)) throw new Error(`expected a name, found ${name}`);
    if (tokens[at] === '=') {
      at++;
      if (name in into.attributes) throw new Error(`duplicate attribute ${name}`);
      into.attributes[name] = value();
      return [];
    }
    const labels: string[] = [];
    while (tokens[at]!.startsWith('"')) labels.push(str(tokens[at++]!));
    if (tokens[at++] !== '{') throw new Error(`expected { after ${name}`);
    const inner = body();
    if (tokens[at++] !== '}') throw new Error(`unclosed ${name}`);
    return [{ type: name, labels, ...inner }];
  };
  const top = body();
  if (at !== tokens.length) throw new Error('unbalanced braces');
  return top.blocks;
}

/** An aws_iam_policy_document data source back as a policy document. */
function documentOf(block: HclBlock): PolicyDocument {
  return {
    Version: block.attributes.version as '2012-10-17',
    Statement: block.blocks.map((s) => {
      const statement: PolicyStatement = { Sid: s.attributes.sid as string, Effect: s.attributes.effect as 'Allow', Action: s.attributes.actions as string[] };
      const principal = s.blocks.find((b) => b.type === 'principals');
      if (principal) statement.Principal = { AWS: (principal.attributes.identifiers as string[])[0]! };
      if (s.attributes.resources) statement.Resource = s.attributes.resources as string[];
      for (const c of s.blocks.filter((b) => b.type === 'condition')) {
        statement.Condition ??= {};
        const values = c.attributes.values as string[];
        (statement.Condition[c.attributes.test as string] ??= {})[c.attributes.variable as string] = values.length === 1 ? values[0]! : values;
      }
      return statement;
    }),
  };
}

describe('pipewright iam formats', () => {
  it('terraform: one aws_iam_policy_document per role (and its trust policy) that reads back as the JSON policy', () => {
    const text = formatPolicies(all, 'terraform');
    expect(formatPolicies(all, 'terraform')).toBe(text);
    const blocks = parseHcl(text);
    const roles = all.flatMap((p) => p.roles.map((role) => ({ p, role })));
    expect(roles.length).toBeGreaterThan(10);
    expect(blocks.every((b) => b.type === 'data' && b.labels[0] === 'aws_iam_policy_document')).toBe(true);
    const names = blocks.map((b) => b.labels[1]!);
    expect(new Set(names).size).toBe(names.length);
    for (const { p, role } of roles) {
      const name = `${p.pipeline}_${p.environment}_${roleNameOf(role.roleArn)}`.replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();
      const identity = blocks.find((b) => b.labels[1] === name);
      expect(identity, name).toBeDefined();
      expect(documentOf(identity!)).toEqual(role.identityPolicy);
      if (role.trustPolicy) expect(documentOf(blocks.find((b) => b.labels[1] === `${name}_trust`)!)).toEqual(role.trustPolicy);
    }
  });

  it('terraform: escapes template syntax in strings', () => {
    const sample: PipelineIamPolicies = {
      pipeline: 'x',
      environment: 'dev',
      roles: [{ roleArn: 'arn:aws:iam::111111111111:role/r', steps: ['s'], modelSteps: [], calls: [], notes: [], identityPolicy: { Version: '2012-10-17', Statement: [{ Sid: 'S', Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::b/${aws:username}/*'] }] } }],
    };
    const text = formatPolicies([sample], 'terraform');
    expect(text).toContain('"arn:aws:s3:::b/$${aws:username}/*"');
    expect(documentOf(parseHcl(text)[0]!).Statement[0]!.Resource).toEqual(['arn:aws:s3:::b/${aws:username}/*']);
  });

  it('cloudformation: an AWS::IAM::ManagedPolicy per role holding the identity policy, attached to the role by name', () => {
    const text = formatPolicies(all, 'cloudformation');
    expect(formatPolicies(all, 'cloudformation')).toBe(text);
    const template = JSON.parse(text) as { AWSTemplateFormatVersion: string; Resources: Record<string, { Type: string; Properties: { ManagedPolicyName: string; Roles: string[]; PolicyDocument: PolicyDocument }; Metadata: { pipewright: { roleArn: string; environment: string; pipeline: string } } }> };
    expect(template.AWSTemplateFormatVersion).toBe('2010-09-09');
    const resources = Object.entries(template.Resources);
    expect(resources.length).toBe(all.flatMap((p) => p.roles).length);
    for (const [logicalId, resource] of resources) {
      expect(logicalId).toMatch(/^[A-Za-z0-9]+$/);
      expect(resource.Type).toBe('AWS::IAM::ManagedPolicy');
      const { pipeline, environment, roleArn } = resource.Metadata.pipewright;
      const role = all.find((p) => p.pipeline === pipeline && p.environment === environment)!.roles.find((r) => r.roleArn === roleArn)!;
      expect(resource.Properties.PolicyDocument).toEqual(JSON.parse(JSON.stringify(role.identityPolicy)));
      expect(resource.Properties.Roles).toEqual([roleNameOf(roleArn)]);
      expect(resource.Properties.ManagedPolicyName).toMatch(/^[\w+=,.@-]{1,128}$/);
    }
  });
});
