/**
 * A small stand-in for Amazon ECR's control plane that speaks the real wire protocol (AWS JSON 1.1
 * over HTTP, `x-amz-target: AmazonEC2ContainerRegistry_V20150921.<Operation>`) on 127.0.0.1, so
 * `preflight` tests drive the real `@aws-sdk/client-ecr` client instead of a mock.
 *
 * State: repositories (keyed by registry id and name, so a repository in another account can be
 * seeded) and the registry scanning configuration of the caller's own registry. Operations:
 * DescribeRepositories and GetRegistryScanningConfiguration; anything else is answered with
 * `UnknownOperationException`, so a test notices a call it did not expect. Every request is
 * recorded in {@link FakeEcr.calls}.
 *
 * Shapes follow the ECR API reference (timestamps as epoch seconds, errors as
 * `{"__type": "<Name>", "message": ...}` with HTTP 400). A test double, not an emulator.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';

/** One recorded HTTP request. */
export interface FakeEcrCall {
  /** Operation name, for example `DescribeRepositories`. */
  operation: string;
  /** Parsed JSON request body. */
  body: Record<string, any>;
  /** HTTP status the fake answered with. */
  status: number;
  /** `__type` of the error answered, if any. */
  errorType?: string;
}

export type TagMutability = 'MUTABLE' | 'IMMUTABLE' | 'IMMUTABLE_WITH_EXCLUSION' | 'MUTABLE_WITH_EXCLUSION';

/** Seed for {@link FakeEcr.addRepository}. */
export interface FakeRepositorySeed {
  name: string;
  /** Registry (account) id; default the fake's own account. */
  registryId?: string;
  /** Default `IMMUTABLE`. */
  imageTagMutability?: TagMutability;
  /** Wildcard filters of the `*_WITH_EXCLUSION` modes, e.g. `['sha256-*']`. */
  exclusionFilters?: string[];
  /** Repository-level (legacy) scan on push; default false. */
  scanOnPush?: boolean;
}

/** A registry scanning rule as PutRegistryScanningConfiguration takes it. */
export interface FakeScanningRule {
  scanFrequency: 'SCAN_ON_PUSH' | 'CONTINUOUS_SCAN' | 'MANUAL';
  /** Wildcard filters (`filterType: WILDCARD`). */
  filters: string[];
}

/** An error the fake answers instead of processing a request (AccessDenied, throttling, ...). */
export interface InjectedEcrError {
  /** Operation to fail, or `*` for any operation. */
  operation: string;
  /** How many matching calls to fail (the next N). */
  count: number;
  /** Error `__type`, for example `AccessDeniedException`. */
  type: string;
  /** HTTP status; 400 unless given. */
  status?: number;
  message?: string;
}

interface RepositoryState {
  repositoryArn: string;
  registryId: string;
  repositoryName: string;
  repositoryUri: string;
  createdAt: number;
  imageTagMutability: TagMutability;
  imageTagMutabilityExclusionFilters?: Array<{ filterType: 'WILDCARD'; filter: string }>;
  imageScanningConfiguration: { scanOnPush: boolean };
  encryptionConfiguration: { encryptionType: 'AES256' | 'KMS' };
}

class EcrError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * The fake ECR endpoint. Start with {@link FakeEcr.start}, seed repositories and the scanning
 * configuration, point an `ECRClient` at {@link FakeEcr.endpoint}, and `close()` it when done.
 */
export class FakeEcr {
  /** Every request received, in order. */
  readonly calls: FakeEcrCall[] = [];
  readonly region: string;
  /** The caller's account: the registry GetRegistryScanningConfiguration describes. */
  readonly accountId: string;
  private readonly repositories = new Map<string, RepositoryState>();
  private scanning: { scanType: 'BASIC' | 'ENHANCED'; rules: FakeScanningRule[] } = { scanType: 'BASIC', rules: [] };
  private readonly injectedErrors: InjectedEcrError[] = [];

  private constructor(
    private readonly server: http.Server,
    options: { region: string; accountId: string },
  ) {
    this.region = options.region;
    this.accountId = options.accountId;
  }

  /** Starts the server on 127.0.0.1 with a random free port. */
  static async start(options: { region?: string; accountId?: string } = {}): Promise<FakeEcr> {
    const server = http.createServer();
    const fake = new FakeEcr(server, {
      region: options.region ?? 'eu-west-1',
      accountId: options.accountId ?? '123456789012',
    });
    server.on('request', (req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** `http://127.0.0.1:<port>`. */
  get endpoint(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Stops the server, dropping keep-alive connections the SDK may still hold. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- seeding -------------------------------------------------------------------------------

  /** Creates a repository (as CreateRepository would); returns its ARN. */
  addRepository(seed: FakeRepositorySeed): string {
    const registryId = seed.registryId ?? this.accountId;
    const mutability = seed.imageTagMutability ?? 'IMMUTABLE';
    const repositoryArn = `arn:aws:ecr:${this.region}:${registryId}:repository/${seed.name}`;
    this.repositories.set(repositoryKey(registryId, seed.name), {
      repositoryArn,
      registryId,
      repositoryName: seed.name,
      repositoryUri: `${registryId}.dkr.ecr.${this.region}.amazonaws.com/${seed.name}`,
      createdAt: Date.now() / 1000 - 86_400,
      imageTagMutability: mutability,
      ...(mutability.endsWith('_WITH_EXCLUSION')
        ? {
            imageTagMutabilityExclusionFilters: (seed.exclusionFilters ?? []).map((filter) => ({
              filterType: 'WILDCARD' as const,
              filter,
            })),
          }
        : {}),
      imageScanningConfiguration: { scanOnPush: seed.scanOnPush ?? false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
    return repositoryArn;
  }

  /** Sets the registry scanning configuration (as PutRegistryScanningConfiguration would). */
  setRegistryScanning(scanType: 'BASIC' | 'ENHANCED', rules: FakeScanningRule[]): void {
    this.scanning = { scanType, rules: structuredClone(rules) };
  }

  /** Answers the next `count` matching calls with an error instead of processing them. */
  injectErrors(error: InjectedEcrError): void {
    this.injectedErrors.push({ ...error });
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
      const call: FakeEcrCall = { operation, body: {}, status: 200 };
      this.calls.push(call);
      let payload: unknown;
      try {
        if (req.method !== 'POST') throw new EcrError('UnknownOperationException', `unsupported method ${req.method}`);
        call.body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        const injected = this.takeInjectedError(operation);
        if (injected) throw injected;
        payload = this.dispatch(operation, call.body);
      } catch (error) {
        const ecrError =
          error instanceof EcrError ? error : new EcrError('ServerException', `fake ECR bug: ${String(error)}`, 500);
        call.status = ecrError.status;
        call.errorType = ecrError.type;
        payload = { __type: ecrError.type, message: ecrError.message };
      }
      res.statusCode = call.status;
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      res.setHeader('x-amzn-requestid', `ecr-req-${this.calls.length}`);
      res.end(JSON.stringify(payload));
    });
  }

  private takeInjectedError(operation: string): EcrError | undefined {
    const match = this.injectedErrors.find(
      (error) => error.count > 0 && (error.operation === '*' || error.operation === operation),
    );
    if (!match) return undefined;
    match.count -= 1;
    return new EcrError(match.type, match.message ?? `injected ${match.type}`, match.status ?? 400);
  }

  private dispatch(operation: string, body: Record<string, any>): unknown {
    switch (operation) {
      case 'DescribeRepositories':
        return this.describeRepositories(body);
      case 'GetRegistryScanningConfiguration':
        return {
          registryId: this.accountId,
          scanningConfiguration: {
            scanType: this.scanning.scanType,
            rules: this.scanning.rules.map((rule) => ({
              scanFrequency: rule.scanFrequency,
              repositoryFilters: rule.filters.map((filter) => ({ filter, filterType: 'WILDCARD' })),
            })),
          },
        };
      default:
        throw new EcrError('UnknownOperationException', `The fake ECR does not implement ${operation}.`);
    }
  }

  // ---- operations ----------------------------------------------------------------------------

  private describeRepositories(body: Record<string, any>): unknown {
    const registryId: string = body.registryId ?? this.accountId;
    if (!/^\d{12}$/.test(registryId)) {
      throw new EcrError('InvalidParameterException', `Invalid parameter at 'registryId' failed to satisfy constraint.`);
    }
    const names = body.repositoryNames as string[] | undefined;
    if (names === undefined) {
      const repositories = [...this.repositories.values()].filter((repository) => repository.registryId === registryId);
      return { repositories: structuredClone(repositories) };
    }
    if (!Array.isArray(names) || names.length === 0 || names.length > 100) {
      throw new EcrError('InvalidParameterException', 'repositoryNames must contain between 1 and 100 items.');
    }
    const repositories = [];
    for (const name of names) {
      const repository = this.repositories.get(repositoryKey(registryId, name));
      // ECR fails the whole call for the first unknown name.
      if (!repository) {
        throw new EcrError(
          'RepositoryNotFoundException',
          `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
        );
      }
      repositories.push(structuredClone(repository));
    }
    return { repositories };
  }
}

function repositoryKey(registryId: string, name: string): string {
  return `${registryId}/${name}`;
}
