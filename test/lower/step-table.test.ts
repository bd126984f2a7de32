/**
 * src/lower/index.ts lowers each built-in step kind with a function of its own (STEP_LOWERINGS).
 * A kind the table does not have, inherited names included, is refused as the switch refused it.
 */
import { describe, expect, it } from 'vitest';
import { lowerStep } from '../../src/lower/index.ts';
import { printJenkinsfile } from '../../src/jenkinsfile/print.ts';
import { block } from '../../src/jenkinsfile/ast.ts';

type AnyStep = Parameters<typeof lowerStep>[0];

describe('lowerStep', () => {
  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'npmCi', 'nope'])('refuses the unknown kind %s', (kind) => {
    const step = { step: kind, script: 'x' } as unknown as AnyStep;
    expect(() => lowerStep(step, ['stages', 0, 'steps', 0])).toThrow(`cannot lower step ${JSON.stringify(step)}`);
  });

  it('lowers each kind with its own function, nested lists at their own paths', () => {
    const steps: AnyStep[] = [
      { step: 'sh', script: 'make' },
      { step: 'sh', script: 'make', label: 'build', returnStatus: true },
      { step: 'stash', name: 's' },
      { step: 'stash', name: 's', includes: 'a/**' },
      { step: 'dir', path: 'sub', steps: [{ step: 'echo', message: 'in' }, { step: 'retry', count: 2, steps: [{ step: 'checkout', scm: true }] }] },
      { step: 'step', name: 'custom', args: { a: 1 }, body: [{ step: 'unstash', name: 'u' }] },
    ];
    const lowered = steps.map((step, index) => lowerStep(step, ['steps', index]));
    const text = printJenkinsfile({ type: 'Jenkinsfile', pipeline: block('pipeline', [block('steps', lowered)]) }).text;
    expect(text).toBe(
      [
        'pipeline {',
        '  steps {',
        "    sh 'make'",
        "    sh script: 'make', label: 'build', returnStatus: true",
        "    stash 's'",
        "    stash name: 's', includes: 'a/**'",
        "    dir('sub') {",
        "      echo 'in'",
        '      retry(2) {',
        '        checkout scm',
        '      }',
        '    }',
        '    custom(a: 1) {',
        "      unstash 'u'",
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const dir = lowered[4]!;
    const retry = dir.type === 'Call' ? dir.body?.[1] : undefined;
    expect(retry?.origin).toEqual(['steps', 4, 'steps', 1]);
    expect(retry?.type === 'Call' ? retry.body?.[0]?.origin : undefined).toEqual(['steps', 4, 'steps', 1, 'steps', 0]);
    const custom = lowered[5]!;
    expect(custom.type === 'Call' ? custom.body?.[0]?.origin : undefined).toEqual(['steps', 5, 'body', 0]);
  });
});
