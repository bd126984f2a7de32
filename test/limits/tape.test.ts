/**
 * A Tape (src/limits/cps-bytecode.ts) replays exactly what the closure emitters add to a method:
 * the same bytes, and the same constant-pool entries in the same order (so everything emitted
 * after it costs the same too). Random runs of nodes, written both ways into methods whose pools
 * start below, at and above the last one-byte `ldc` index, so runs cross it.
 */
import { describe, expect, it } from 'vitest';
import {
  closure,
  constant,
  ConstantPool,
  CpsMethod,
  dynamicVariable,
  functionCall,
  list,
  map,
  Tape,
  type Emit,
} from '../../src/limits/cps-bytecode.ts';

/** One node: how the closures emit it, and how the same node is written on a tape. */
interface Node {
  emit: Emit;
  write(tape: Tape): void;
}

function random(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return Math.floor((state / 2147483648) * n); // the high bits: an LCG's low bits repeat quickly
  };
}

const WORDS = ['sh', 'echo', 'label', 'script', 'it', 'safepoint', 'java/lang/Object', 'x'.repeat(120), `${'y'.repeat(50)}mid${'y'.repeat(50)}`];
const LINES = [-1, 0, 5, 6, 127, 128, 32767, 32768, 70000, -129];
const NUMBERS = [0, 5, -1, 127, 128, -32769, 40000, 2 ** 31, 2 ** 31 + 1, 1.5, -0.25];

function randomNode(pick: (n: number) => number, depth: number): Node {
  const kind = depth > 3 ? pick(3) : pick(8);
  switch (kind) {
    case 0: {
      const value = WORDS[pick(WORDS.length)]!;
      return { emit: constant(value), write: (t) => t.constant(value) };
    }
    case 1: {
      const value = NUMBERS[pick(NUMBERS.length)]!;
      return { emit: constant(value), write: (t) => t.constant(value) };
    }
    case 2: {
      const value = [null, true, false][pick(3)]!;
      return { emit: constant(value), write: (t) => t.constant(value) };
    }
    case 3: {
      const items = Array.from({ length: pick(7) }, () => randomNode(pick, depth + 1));
      return { emit: list(items.map((i) => i.emit)), write: (t) => {
        t.callSite(items.length);
        for (const i of items) i.write(t);
      } };
    }
    case 4: {
      const entries = Array.from({ length: pick(4) }, () => [WORDS[pick(WORDS.length)]!, randomNode(pick, depth + 1)] as const);
      return { emit: map(entries.map(([k, v]) => [constant(k), v.emit] as const)), write: (t) => {
        t.callSite(2 * entries.length);
        for (const [k, v] of entries) {
          t.constant(k);
          v.write(t);
        }
      } };
    }
    case 5: {
      const line = LINES[pick(LINES.length)]!;
      const name = WORDS[pick(WORDS.length)]!;
      const args = Array.from({ length: pick(6) }, () => randomNode(pick, depth + 1));
      return { emit: functionCall(line, undefined, name, args.map((a) => a.emit)), write: (t) => {
        t.callSite(4 + args.length);
        t.line(line);
        t.callSite(0);
        t.constant(name);
        t.rawBoolean();
        for (const a of args) a.write(t);
      } };
    }
    case 6: {
      const line = LINES[pick(LINES.length)]!;
      const name = WORDS[pick(WORDS.length)]!;
      return { emit: dynamicVariable(line, name), write: (t) => {
        t.callSite(3);
        t.line(line);
        t.callSite(0);
        t.rawString(name);
      } };
    }
    default: {
      // A closure: its block's arity written after its statements, as the estimator does.
      const line = LINES[pick(LINES.length)]!;
      const body = Array.from({ length: pick(7) }, () => randomNode(pick, depth + 1));
      const viaEmit = pick(2) === 0; // a statement given to the tape as a closure
      return { emit: closure(line, body.map((b) => b.emit)), write: (t) => {
        t.callSite(4);
        t.line(line);
        t.rawList('class', 'java/lang/Object', 1);
        t.rawList('string', ['it'], 1);
        t.callSite(2);
        t.callSite(3);
        t.line(line);
        t.rawClass('org/jenkinsci/plugins/workflow/cps/Safepoint');
        t.rawString('safepoint');
        t.callSite(0);
        for (const b of body) {
          if (viaEmit) t.emit(b.emit);
          else b.write(t);
        }
        t.callArity(body.length);
      } };
    }
  }
}

/**
 * Bytes of `ldc`s of a few probes afterwards (which constants the pool took, at which indices),
 * then how many entries were left below the limit (the next free index).
 */
function probe(method: CpsMethod): number[] {
  const pool = method.pool;
  const out = [...WORDS.map((w) => pool.ldc('string', w, 2)), pool.ldc('class', 'java/lang/Object', 2), pool.ldc('number', 70000, 1), pool.ldc('number', 1.5, 2)];
  let below = 0;
  while (below < 300 && pool.fresh() === 2) below++;
  return [...out, below];
}

describe('Tape', () => {
  it('replays what the closure emitters emit: bytes and pool entries, across the one-byte ldc limit', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const pick = random(seed);
      const nodes = Array.from({ length: 1 + pick(8) }, () => randomNode(pick, 0));
      const start = [155, 200, 230, 250, 255, 256, 300][seed % 7]!;
      const direct = new CpsMethod('pipeline', new ConstantPool(start));
      for (const n of nodes) n.emit(direct);
      const tape = new Tape();
      for (const n of nodes) n.write(tape);
      const replayed = new CpsMethod('pipeline', new ConstantPool(start));
      tape.replay(replayed);
      expect(replayed.bytes, `seed ${seed}`).toBe(direct.bytes);
      expect(probe(replayed), `seed ${seed}`).toEqual(probe(direct));
    }
  });

  it('a run of call sites costs what as many fresh entries cost, on either side of the limit', () => {
    for (const start of [150, 250, 254, 255, 256, 400]) {
      for (const count of [0, 1, 2, 5, 9]) {
        const one = new ConstantPool(start);
        let bytes = 0;
        for (let i = 0; i < count; i++) bytes += one.fresh();
        const run = new ConstantPool(start);
        expect(run.freshRun(count), `${start} + ${count}`).toBe(bytes);
        expect(run.fresh()).toBe(one.fresh());
      }
    }
  });
});
