/**
 * A byte-exact model of the bytecode groovy-cps makes for one Groovy AST node, as compiled by
 * Groovy 2.4.21 (read from the class files the oracle in scripts/cps-oracle writes; see
 * docs/limits.md). CpsTransformer turns every node of a method (closures included) into a call on
 * a `Builder` local, `b.functionCall(line, b.javaThis_(), b.constant('sh'), false, b.constant('x'))`,
 * and Groovy compiles each of those calls as a dynamic call site:
 *
 *   aload_0; ldc <call-site index>; aaload; aload_1; <arguments>; [invokestatic ArrayUtil.createArray]; invokeinterface CallSite.call
 *
 * so a node costs 11 bytes (12 with `ldc_w`, +3 above four arguments) plus its arguments: a boxed
 * line number (`bipush n; Integer.valueOf`), a raw boolean (`iconst; Boolean.valueOf`), a string
 * or class constant (`ldc`/`ldc_w`), a `createList` of raw constants, or child nodes.
 *
 * The constant pool is shared by the class: a constant costs `ldc` (2 bytes) while its pool index
 * is at most 255 and `ldc_w` (3) after, and every call site adds an integer constant. The model
 * allocates pool entries in emission order, as ASM does.
 */

/** Bytes of the per-method prologue and epilogue of a `___cps___N` method (Builder set-up, `new CpsFunction`, return). */
export const CPS_METHOD_OVERHEAD = 104;
/**
 * Constant-pool index of the first entry the run() method's CPS body allocates: the entries of
 * the script class's other members (constructors, `main`, `run`, `main`'s CPS body) come first.
 */
export const CPS_POOL_START = 155;
/**
 * Pool entries a script method definition (`def f() { }`) adds before the CPS bodies: its stub
 * (`throw new CpsCallableInvocation('f', ___cps___N, this, args)`) and field; the name's String
 * entry among them, which calls of `f()` in the pipeline then reuse.
 */
export const CPS_POOL_PER_SCRIPT_METHOD = 4;

/** The kinds of pool constants (a string and a class of the same name are different entries). */
export type ConstantKind = 'string' | 'class' | 'number' | 'other';

/** The last constant-pool index a one-byte `ldc` reaches. */
const MAX_LDC_INDEX = 255;
/** Strings longer than this are pooled by length and ends (see {@link ConstantPool}). */
const LONG_CONSTANT = 96;
const LONG_CONSTANT_ENDS = 48;

/** The class-wide constant pool, shared by all methods of the script class. */
export class ConstantPool {
  /** Constants up to {@link LONG_CONSTANT} characters: one map per kind, keyed by the value itself. */
  private readonly entries: Record<ConstantKind, Map<string | number, number>> = {
    string: new Map(),
    class: new Map(),
    number: new Map(),
    other: new Map(),
  };
  /**
   * Long strings (scripts), per kind: length -> first 48 characters -> last 48 characters ->
   * index. Hashing them whole costs more than the rare collision (two different scripts counted
   * as one constant) could change the estimate; nested maps look them up by those three parts
   * without building a key string.
   */
  private readonly longEntries: Record<ConstantKind, Map<number, Map<string, Map<string, number>>>> = {
    string: new Map(),
    class: new Map(),
    number: new Map(),
    other: new Map(),
  };
  private next: number;

  constructor(start = CPS_POOL_START) {
    this.next = start;
    // Every Groovy class refers to Object early (superclass chain, `anewarray Object`): a low index.
    this.entries.class.set('java/lang/Object', 30);
  }

  /** Bytes of an `ldc` of this constant: 2 while its index fits a byte, else 3 (`ldc_w`). */
  ldc(kind: ConstantKind, value: string | number, slots: number): number {
    // Once the pool is past index 255, every new entry is an `ldc_w`: only whether a constant is
    // among the entries made before changes its cost, so new entries need not be recorded.
    const full = this.next > MAX_LDC_INDEX;
    if (typeof value === 'string' && value.length > LONG_CONSTANT) {
      const byLength = this.longEntries[kind];
      let byStart = byLength.get(value.length);
      if (!byStart) {
        if (full) return 3;
        byLength.set(value.length, (byStart = new Map()));
      }
      const start = value.slice(0, LONG_CONSTANT_ENDS);
      let byEnd = byStart.get(start);
      if (!byEnd) {
        if (full) return 3;
        byStart.set(start, (byEnd = new Map()));
      }
      const end = value.slice(-LONG_CONSTANT_ENDS);
      const known = byEnd.get(end);
      if (known !== undefined) return known <= MAX_LDC_INDEX ? 2 : 3;
      if (full) return 3;
      byEnd.set(end, this.allocate(slots));
    } else {
      const entries = this.entries[kind];
      const known = entries.get(value);
      if (known !== undefined) return known <= MAX_LDC_INDEX ? 2 : 3;
      if (full) return 3;
      entries.set(value, this.allocate(slots));
    }
    // A new entry gets index `next` (at most 255 here).
    return 2;
  }

  /** Allocates `slots` entries; returns the first one's index. */
  private allocate(slots: number): number {
    const index = this.next;
    this.next += slots;
    return index;
  }

  /** A fresh entry (call-site indices are all distinct integers). */
  fresh(): number {
    const index = this.next++;
    return index <= MAX_LDC_INDEX ? 2 : 3;
  }

  /** {@link fresh} `count` times: the bytes of their `ldc`s together. */
  freshRun(count: number): number {
    const first = this.next;
    this.next += count;
    const short = Math.min(Math.max(MAX_LDC_INDEX + 1 - first, 0), count);
    return 2 * short + 3 * (count - short);
  }
}

/** Bytes of pushing an int constant (iconst, bipush, sipush, else a pool constant). */
export function pushInt(value: number, pool: ConstantPool): number {
  if (value >= 0 && value <= 5) return 1;
  if (value >= -128 && value <= 127) return 2;
  if (value >= -32768 && value <= 32767) return 3;
  return pool.ldc('number', value, 1);
}

/**
 * One `___cps___N` method being sized. Emitters add bytes in the order Groovy generates them
 * (call site, then arguments left to right), so pool indices come out as in the class file.
 */
export class CpsMethod {
  bytes = CPS_METHOD_OVERHEAD;

  constructor(
    readonly name: string,
    readonly pool: ConstantPool,
  ) {}

  /** A Builder call with `arity` arguments (the arguments are emitted separately). */
  callSite(arity: number): void {
    this.bytes += 3 + this.pool.fresh() + 5 + (arity > 4 ? 3 : 0);
  }

  /** `loc(node)`: the node's line number, boxed. Nodes made by Declarative's rewrite have line -1. */
  line(line: number): void {
    this.bytes += pushInt(line, this.pool) + 3;
  }

  /** A raw boolean argument (`isSafe` of calls and properties), boxed. */
  rawBoolean(): void {
    this.bytes += 4;
  }

  rawString(value: string): void {
    this.bytes += this.pool.ldc('string', value, 2);
  }

  rawClass(name: string): void {
    this.bytes += this.pool.ldc('class', name, 2);
  }

  /**
   * `ScriptBytecodeAdapter.createList(new Object[] {...})` of `count` raw constants of one kind
   * (closure parameter types and names): `values` is one value for all, or one each.
   */
  rawList(kind: 'class' | 'string', values: string | readonly string[], count: number): void {
    this.bytes += (count <= 5 ? 1 : 2) + 3 + 3;
    for (let i = 0; i < count; i++) {
      this.bytes += 1 + (i <= 5 ? 1 : 2) + 1;
      this.bytes += this.pool.ldc(kind, typeof values === 'string' ? values : values[i]!, 2);
    }
  }
}

/** Emits one node's bytes into a method. */
export type Emit = (m: CpsMethod) => void;

// ------------------------------------------------------------------ Builder nodes

/** `b.constant(value)`. */
export const constant = (value: string | number | boolean | null): Emit =>
  value === null ? NULL_CONSTANT : value === true ? TRUE_CONSTANT : value === false ? FALSE_CONSTANT : valueConstant(value);

const valueConstant =
  (value: string | number | boolean | null): Emit =>
  (m) => {
    m.callSite(1);
    if (value === null) m.bytes += 1;
    else if (typeof value === 'boolean') m.bytes += 3; // getstatic Boolean.TRUE/FALSE
    else if (typeof value === 'number') {
      m.bytes += Number.isInteger(value) && Math.abs(value) <= 2 ** 31 ? pushInt(value, m.pool) + 3 : m.pool.ldc('number', value, 2) + 3;
    } else m.rawString(value);
  };

const NULL_CONSTANT = valueConstant(null);
const TRUE_CONSTANT = valueConstant(true);
const FALSE_CONSTANT = valueConstant(false);

/** `b.constant(SomeClass)` (a class literal used as a value). */
export const classConstant =
  (name: string): Emit =>
  (m) => {
    m.callSite(1);
    m.rawClass(name);
  };

export const javaThis: Emit = (m) => m.callSite(0);

export const noop: Emit = (m) => m.callSite(0);

/** `name(args)` on `this` (receiver undefined) or on a receiver: `b.functionCall(line, recv, constant(name), false, args...)`. */
export const functionCall =
  (line: number, receiver: Emit | undefined, name: string, args: readonly Emit[]): Emit =>
  (m) => {
    m.callSite(4 + args.length);
    m.line(line);
    (receiver ?? javaThis)(m);
    m.callSite(1); // constant(name)
    m.rawString(name);
    m.rawBoolean();
    for (const a of args) a(m);
  };

/** `Owner.name(args)` with a class receiver: `b.staticCall(line, Owner, 'name', args...)`. */
export const staticCall =
  (line: number, owner: string, name: string, args: readonly Emit[]): Emit =>
  (m) => {
    m.callSite(3 + args.length);
    m.line(line);
    m.rawClass(owner);
    m.rawString(name);
    for (const a of args) a(m);
  };

/** `new Type(args)`: `b.new_(line, Type, args...)`. */
export const newInstance =
  (line: number, type: string, args: readonly Emit[]): Emit =>
  (m) => {
    m.callSite(2 + args.length);
    m.line(line);
    m.rawClass(type);
    for (const a of args) a(m);
  };

/** `[k: v, ...]`: `b.map(constant(k), v, ...)`. */
export const map =
  (entries: readonly (readonly [Emit, Emit])[]): Emit =>
  (m) => {
    m.callSite(2 * entries.length);
    for (const [k, v] of entries) {
      k(m);
      v(m);
    }
  };

/** `[a, b]`: `b.list(a, b)`. */
export const list =
  (items: readonly Emit[]): Emit =>
  (m) => {
    m.callSite(items.length);
    for (const i of items) i(m);
  };

/** `b.block(statements...)`. */
export const block =
  (statements: readonly Emit[]): Emit =>
  (m) => {
    m.callSite(statements.length);
    for (const s of statements) s(m);
  };

/** A method or closure body with the loop safepoint Jenkins configures: `block(staticCall(Safepoint.safepoint), body)`. */
export const safepointed =
  (line: number, body: Emit): Emit =>
  (m) => {
    emitSafepoint(m, line);
    body(m);
  };

/** {@link safepointed} of `block(statements)`, emitted directly. */
export function emitSafepointed(m: CpsMethod, line: number, statements: readonly Emit[]): void {
  emitSafepoint(m, line);
  m.callSite(statements.length); // block
  for (const s of statements) s(m);
}

function emitSafepoint(m: CpsMethod, line: number): void {
  m.callSite(2);
  m.callSite(3);
  m.line(line);
  m.rawClass('org/jenkinsci/plugins/workflow/cps/Safepoint');
  m.rawString('safepoint');
}

const NO_PARAMETERS: readonly string[] = [];
const IMPLICIT_IT: readonly string[] = ['it'];

/**
 * `{ statements }`: `b.closure(line, [types], [names], safepointed(block(statements)))`. A closure
 * without declared parameters has the implicit `it` (`[Object]`, `['it']`); `params` lists
 * declared ones; `null` is `{ -> }`.
 */
export const closure =
  (line: number, statements: readonly Emit[], params: readonly string[] | null = []): Emit =>
  (m) => {
    m.callSite(4);
    m.line(line);
    const names = params === null ? NO_PARAMETERS : params.length === 0 ? IMPLICIT_IT : params;
    m.rawList('class', 'java/lang/Object', names.length);
    m.rawList('string', names, names.length);
    emitSafepointed(m, line, statements);
  };

export const returnStatement =
  (value: Emit): Emit =>
  (m) => {
    m.callSite(1);
    value(m);
  };

/** A name the script binding resolves (`env`, `params`, a step-less identifier): `b.property(line, javaThis_, 'name')`. */
export const dynamicVariable =
  (line: number, name: string): Emit =>
  (m) => {
    m.callSite(3);
    m.line(line);
    javaThis(m);
    m.rawString(name);
  };

/** A local variable (`def x` earlier in the same method or closure): `b.localVariable(line, 'x')`. */
export const localVariable =
  (line: number, name: string): Emit =>
  (m) => {
    m.callSite(2);
    m.line(line);
    m.rawString(name);
  };

/** `this` as an explicit receiver. */
export const thisReference: Emit = (m) => m.callSite(0);

/** `target.name` (also `?.`): `b.property(line, target, constant(name), safe)`. */
export const property =
  (line: number, target: Emit, name: Emit): Emit =>
  (m) => {
    m.callSite(4);
    m.line(line);
    target(m);
    name(m);
    m.rawBoolean();
  };

/** A binary operator, assignment included: `b.plus(line, l, r)`, `b.assign(line, l, r)`, ... */
export const binary =
  (line: number, left: Emit, right: Emit): Emit =>
  (m) => {
    m.callSite(3);
    m.line(line);
    left(m);
    right(m);
  };

/** `!x`, `-x`, `x++` and other one-operand nodes with a line: `b.not(line, x)`. */
export const unary =
  (line: number, operand: Emit): Emit =>
  (m) => {
    m.callSite(2);
    m.line(line);
    operand(m);
  };

/** `c ? a : b`: `b.ternaryOp(c, a, b)` (no line). */
export const ternary =
  (test: Emit, yes: Emit, no: Emit): Emit =>
  (m) => {
    m.callSite(3);
    test(m);
    yes(m);
    no(m);
  };

/** `a ?: b`: `b.elvisOp(a, b)`. */
export const elvis =
  (value: Emit, fallback: Emit): Emit =>
  (m) => {
    m.callSite(2);
    value(m);
    fallback(m);
  };

/** `def name = init` (or `def name`): `b.declareVariable(line, Object, 'name', init)`. */
export const declareVariable =
  (line: number, name: string, init: Emit | undefined): Emit =>
  (m) => {
    m.callSite(init ? 4 : 2);
    if (init) m.line(line);
    m.rawClass('java/lang/Object');
    m.rawString(name);
    if (init) init(m);
  };

/** `if (c) a else b`: `b.if_(c, a, b)`; a missing else is `b.noop()`. */
export const ifElse =
  (test: Emit, then: Emit, otherwise: Emit | undefined): Emit =>
  (m) => {
    m.callSite(3);
    test(m);
    then(m);
    (otherwise ?? noop)(m);
  };

/** `"a${x}b"`: `b.gstring(line, list(values), list(constant(strings)))`. */
export const gstring =
  (line: number, values: readonly Emit[], strings: readonly string[]): Emit =>
  (m) => {
    m.callSite(3);
    m.line(line);
    list(values)(m);
    list(strings.map((s) => constant(s)))(m);
  };

// ------------------------------------------------------------------ recorded emission

// Operations of a tape whose bytes depend on the constant pool, in emission order.
const OP_FRESH = 0;
const OP_STRING = 1;
const OP_CLASS = 2;
const OP_NUMBER = 3;
const OP_INT = 4;
const OP_EMIT = 5;

/**
 * The bytes of a run of nodes written in emission order without a closure per node: what the
 * emitters above would add to a {@link CpsMethod}, recorded for later. Bytes that do not depend
 * on the constant pool are summed as they are written (their order does not matter); the pool's
 * allocations (call sites, constants) are kept in order, so that {@link Tape.replay} allocates
 * exactly the entries the closures would, in the same order. For long runs of similar nodes
 * (step lists), where the walk already visits nodes in emission order.
 */
export class Tape {
  /** Bytes that are the same whatever the pool holds. */
  private fixed = 0;
  /** Pool-dependent operations: an op code and its operand (a count, a constant, an Emit). */
  private readonly ops: (number | string | Emit)[] = [];

  /**
   * {@link CpsMethod.callSite}, written before the call's arguments. When the arity is not known
   * yet (a block whose statements are walked after it), write 0 and {@link callArity} later.
   */
  callSite(arity: number): void {
    this.fixed += 8 + (arity > 4 ? 3 : 0);
    const ops = this.ops;
    const n = ops.length;
    // Consecutive call sites are one run of fresh entries.
    if (n >= 2 && ops[n - 2] === OP_FRESH) (ops[n - 1] as number)++;
    else ops.push(OP_FRESH, 1);
  }

  /** The rest of a call site written with arity 0 before its arity was known. */
  callArity(arity: number): void {
    if (arity > 4) this.fixed += 3;
  }

  /** {@link CpsMethod.line}. */
  line(line: number): void {
    if (line >= -32768 && line <= 32767) this.fixed += pushIntShort(line) + 3;
    else {
      this.fixed += 3;
      this.ops.push(OP_INT, line);
    }
  }

  rawBoolean(): void {
    this.fixed += 4;
  }

  rawString(value: string): void {
    this.ops.push(OP_STRING, value);
  }

  rawClass(name: string): void {
    this.ops.push(OP_CLASS, name);
  }

  /** {@link CpsMethod.rawList} of one value per element (`values` has `count` elements, or is one value for all). */
  rawList(kind: 'class' | 'string', values: string | readonly string[], count: number): void {
    this.fixed += (count <= 5 ? 1 : 2) + 3 + 3;
    for (let i = 0; i < count; i++) {
      this.fixed += 1 + (i <= 5 ? 1 : 2) + 1;
      this.ops.push(kind === 'class' ? OP_CLASS : OP_STRING, typeof values === 'string' ? values : values[i]!);
    }
  }

  /** `b.constant(value)`, as {@link constant} emits it. */
  constant(value: string | number | boolean | null): void {
    this.callSite(1);
    if (value === null) this.fixed += 1;
    else if (typeof value === 'boolean') this.fixed += 3;
    else if (typeof value === 'number') {
      if (Number.isInteger(value) && Math.abs(value) <= 2 ** 31) {
        if (value >= -32768 && value <= 32767) this.fixed += pushIntShort(value) + 3;
        else {
          this.fixed += 3;
          this.ops.push(OP_INT, value);
        }
      } else {
        this.fixed += 3;
        this.ops.push(OP_NUMBER, value);
      }
    } else this.rawString(value);
  }

  /** A node given as a closure (Groovy text costed by groovy-source.ts), emitted at this point. */
  emit(node: Emit): void {
    this.ops.push(OP_EMIT, node);
  }

  /** Adds the recorded bytes to a method, allocating pool entries in the recorded order. */
  replay(m: CpsMethod): void {
    const pool = m.pool;
    const ops = this.ops;
    let bytes = this.fixed;
    for (let i = 0; i < ops.length; i += 2) {
      const operand = ops[i + 1]!;
      switch (ops[i]) {
        case OP_FRESH:
          bytes += pool.freshRun(operand as number);
          break;
        case OP_STRING:
          bytes += pool.ldc('string', operand as string, 2);
          break;
        case OP_CLASS:
          bytes += pool.ldc('class', operand as string, 2);
          break;
        case OP_NUMBER:
          bytes += pool.ldc('number', operand as number, 2);
          break;
        case OP_INT:
          bytes += pool.ldc('number', operand as number, 1);
          break;
        default:
          m.bytes += bytes;
          bytes = 0;
          (operand as Emit)(m);
      }
    }
    m.bytes += bytes;
  }

  /** The tape as an Emit (for composing with the closure emitters). */
  toEmit(): Emit {
    return (m) => this.replay(m);
  }
}

/** {@link pushInt} of a value within a short's range (no pool constant). */
function pushIntShort(value: number): number {
  return value >= 0 && value <= 5 ? 1 : value >= -128 && value <= 127 ? 2 : 3;
}
