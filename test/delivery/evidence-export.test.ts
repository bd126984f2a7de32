/**
 * The `evidenceExport` script, run for real: bash, find, jq, sha256sum and the real AWS CLI,
 * talking to a small S3 + STS stand-in on 127.0.0.1 that records every request. The stand-in only
 * answers; what is checked is what the CLI actually sent (Object Lock and checksum headers, keys,
 * bodies) and what the script wrote.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallStatement } from '../../src/jenkinsfile/ast.ts';
import { STEP_FIXTURES } from './fixtures.ts';
import { compile, statements } from './support.ts';

interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** S3 PutObject and STS GetCallerIdentity, nothing else. */
class FakeS3 {
  readonly requests: RecordedRequest[] = [];
  /** Buckets answering like a bucket created without Object Lock. */
  readonly withoutObjectLock = new Set<string>();
  account = '444444444444';
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', path: decodeURIComponent(req.url ?? ''), headers: req.headers, body: Buffer.concat(chunks) };
      this.requests.push(request);
      if (request.method === 'POST' && request.body.toString().includes('Action=GetCallerIdentity')) {
        res.setHeader('content-type', 'text/xml');
        res.end(
          `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
            `<Arn>arn:aws:sts::${this.account}:assumed-role/evidence-writer/build</Arn><UserId>AROAEXAMPLE:build</UserId>` +
            `<Account>${this.account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
        );
        return;
      }
      const bucket = request.path.split('/')[1] ?? '';
      if (request.method === 'PUT' && this.withoutObjectLock.has(bucket) && request.headers['x-amz-object-lock-mode'] !== undefined) {
        res.statusCode = 400;
        res.setHeader('content-type', 'application/xml');
        res.end('<Error><Code>InvalidRequest</Code><Message>Bucket is missing Object Lock Configuration</Message></Error>');
        return;
      }
      if (request.method === 'PUT') {
        res.setHeader('x-amz-version-id', `version-${this.requests.length}`);
        res.setHeader('etag', `"${createHash('md5').update(request.body).digest('hex')}"`);
        res.end();
        return;
      }
      res.statusCode = 501;
      res.end();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  puts(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'PUT');
  }
}

/** The export script and its `withEnv` variables, from the lowered fixture. */
function exportStep(): { script: string; env: Record<string, string> } {
  const { ast } = compile(STEP_FIXTURES['evidence-export']!);
  for (const statement of statements(ast)) {
    if (statement.type !== 'Call' || statement.name !== 'withEnv') continue;
    const sh = statement.body?.find((s): s is CallStatement => s.type === 'Call' && s.name === 'sh');
    const label = sh?.args.named.find((a) => a.key === 'label')?.value;
    if (!sh || label?.type !== 'String' || label.value !== 'export evidence prod') continue;
    const script = sh.args.named.find((a) => a.key === 'script')?.value;
    const list = statement.args.positional[0];
    if (script?.type !== 'String' || list?.type !== 'List') break;
    const env: Record<string, string> = {};
    for (const item of list.items) {
      if (item.type !== 'String') continue;
      const at = item.value.indexOf('=');
      env[item.value.slice(0, at)] = item.value.slice(at + 1);
    }
    return { script: script.value, env };
  }
  throw new Error('no export script in the evidence-export fixture');
}

function run(script: string, cwd: string, env: Record<string, string>): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data);

describe('evidenceExport script', () => {
  const s3 = new FakeS3();
  const { script, env: stepEnv } = exportStep();
  let endpoint = '';
  let dir = '';

  beforeAll(async () => {
    endpoint = await s3.start();
    dir = mkdtempSync(join(tmpdir(), 'pw-evidence-'));
    writeFileSync(join(dir, 'aws-config'), '[default]\ns3 =\n  addressing_style = path\n');
  });
  afterAll(async () => {
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A workspace with this build's evidence and reports, plus a stale file of an earlier build. */
  function workspace(name: string): string {
    const root = join(dir, name);
    const files: Record<string, string> = {
      'evidence/ecs-prod-payments-api.json': '{"event":"deploy","result":"SUCCESS"}\n',
      'reports/trivy-fs.json': '{"Results":[]}\n',
      'reports/sbom/sbom.cdx.json': '{"bomFormat":"CycloneDX"}\n',
      'evidence/ecs-prod-payments-api.rollback.json': '{"event":"rollback","build":"an earlier one"}\n',
    };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    const yesterday = new Date(Date.now() - 24 * 3600 * 1000);
    utimesSync(join(root, 'evidence/ecs-prod-payments-api.rollback.json'), yesterday, yesterday);
    return root;
  }

  function environment(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: dir,
      AWS_CONFIG_FILE: join(dir, 'aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'not-a-secret',
      AWS_SESSION_TOKEN: 'session',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: endpoint,
      JOB_NAME: 'payments-api/main',
      BUILD_NUMBER: '42',
      BUILD_URL: 'https://jenkins.example.com/job/payments-api/job/main/42/',
      PW_BUILD_STARTED_MS: String(Date.now() - 60_000),
      ...stepEnv,
      ...extra,
    };
  }

  it('uploads this build\'s files with COMPLIANCE retention and a SHA-256 checksum, then a receipt', async () => {
    const root = workspace('ok');
    s3.requests.length = 0;
    const before = Date.now();
    const result = await run(script, root, environment());
    expect(result.output).toMatch(/exported 3 file\(s\) to s3:\/\/fintech-audit-evidence\/deploys\/payments-api\/main\/42\/prod\/, locked \(COMPLIANCE\)/);
    expect(result.status).toBe(0);

    expect(s3.requests[0]?.body.toString()).toContain('Action=GetCallerIdentity');
    const base = '/fintech-audit-evidence/deploys/payments-api/main/42/prod/';
    const puts = s3.puts();
    // The stale rollback record of an earlier build is left out; the receipt goes last.
    expect(puts.map((p) => p.path)).toEqual([
      `${base}evidence/ecs-prod-payments-api.json`,
      `${base}reports/sbom/sbom.cdx.json`,
      `${base}reports/trivy-fs.json`,
      `${base}evidence/export-prod.json`,
    ]);
    const retainDays = Number(stepEnv['PW_EVIDENCE_RETAIN_DAYS']);
    expect(retainDays).toBe(2555);
    for (const put of puts) {
      expect(put.headers['x-amz-object-lock-mode']).toBe('COMPLIANCE');
      const until = Date.parse(String(put.headers['x-amz-object-lock-retain-until-date']));
      expect(Math.abs(until - (before + retainDays * 86_400_000))).toBeLessThan(86_400_000);
      // S3 refuses a retention period without Content-MD5 or an SDK checksum: the CLI sent one.
      expect(put.headers['x-amz-sdk-checksum-algorithm']).toBe('SHA256');
      expect(put.headers['x-amz-checksum-sha256']).toBe(sha256(put.body).digest('base64'));
    }
    expect(puts[0]!.body.toString()).toBe(readFileSync(join(root, 'evidence/ecs-prod-payments-api.json'), 'utf8'));

    const receipt = JSON.parse(readFileSync(join(root, 'evidence/export-prod.json'), 'utf8'));
    expect(receipt).toMatchObject({
      bucket: 'fintech-audit-evidence',
      keyPrefix: 'deploys/payments-api/main/42/prod/',
      objectLockMode: 'COMPLIANCE',
      environment: 'prod',
      buildUrl: 'https://jenkins.example.com/job/payments-api/job/main/42/',
    });
    expect(receipt.files).toEqual(
      puts.slice(0, 3).map((put, i) => {
        const path = put.path.slice(base.length);
        return { path, key: put.path.slice('/fintech-audit-evidence/'.length), versionId: `version-${i + 2}`, sha256: sha256(readFileSync(join(root, path))).digest('hex') };
      }),
    );
    expect(puts[3]!.body.toString()).toBe(readFileSync(join(root, 'evidence/export-prod.json'), 'utf8'));
  });

  it('fails when the bucket has no Object Lock, instead of storing unlocked copies', async () => {
    const root = workspace('no-lock');
    s3.requests.length = 0;
    s3.withoutObjectLock.add('fintech-audit-evidence');
    try {
      const result = await run(script, root, environment());
      expect(result.status).not.toBe(0);
      expect(result.output).toMatch(/Bucket is missing Object Lock Configuration/);
      expect(existsSync(join(root, 'evidence/export-prod.json'))).toBe(false);
    } finally {
      s3.withoutObjectLock.clear();
    }
  });

  it('refuses a role in another account than the audit account', async () => {
    const root = workspace('wrong-account');
    s3.requests.length = 0;
    s3.account = '333333333333';
    try {
      const result = await run(script, root, environment());
      expect(result.status).toBe(1);
      expect(result.output).toContain('the assumed role is in account 333333333333, expected 444444444444');
      expect(s3.puts()).toEqual([]);
    } finally {
      s3.account = '444444444444';
    }
  });
});
