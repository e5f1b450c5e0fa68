// The validators of the API contract and of the owner's own files: the small
// part of zod's API they use (strictObject, string().max(), optional(), …),
// spelled the same way, so a call added to the contract reads as it always
// has. zod itself costs the owner ~13 MB of memory and ~60 ms of loading on
// every start; it is kept for the stack file's schema (shared/stack-schema.ts),
// which is loaded only when a stack file is read.
//
// Each validator returns the value it accepts (objects rebuilt with their known
// keys only) or records one issue with its path; parsing stops at the first.

type Path = (string | number)[];
export interface Issue {
  path: Path;
  message: string;
}

/** What `safeParse` reports: the issues, the first one first (zod's ZodError shape). */
export class ZodError extends Error {
  constructor(readonly issues: Issue[]) {
    super(issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
    this.name = 'ZodError';
  }
}

/** Returned by a check that failed (after recording its issue). */
const BAD: unique symbol = Symbol('invalid');
type Checked<T> = T | typeof BAD;

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

export type SafeParseResult<T> = { success: true; data: T; error?: undefined } | { success: false; error: ZodError; data?: undefined };

export abstract class ZodType<Output = unknown, Input = Output> {
  /** Types only (zod's `z.input` / `z.output`). */
  declare readonly _output: Output;
  declare readonly _input: Input;
  // A method signature (bivariant), so a ZodType<1> is still a ZodType<unknown>.
  protected refinements: { ok(v: Output): boolean; message: string }[] = [];

  protected abstract check(v: unknown, path: Path, issues: Issue[]): Checked<Output>;

  /** Runs the check and then the refinements. */
  run(v: unknown, path: Path, issues: Issue[]): Checked<Output> {
    const out = this.check(v, path, issues);
    if (out === BAD) return BAD;
    for (const r of this.refinements) {
      if (!r.ok(out)) {
        issues.push({ path, message: r.message });
        return BAD;
      }
    }
    return out;
  }

  safeParse(v: unknown): SafeParseResult<Output> {
    const issues: Issue[] = [];
    const out = this.run(v, [], issues);
    return out === BAD ? { success: false, error: new ZodError(issues) } : { success: true, data: out };
  }

  parse(v: unknown): Output {
    const r = this.safeParse(v);
    if (!r.success) throw r.error;
    return r.data;
  }

  optional(): ZodOptional<this> {
    return new ZodOptional(this);
  }

  refine(ok: (v: Output) => boolean, message: string | { message: string } = 'Invalid input'): this {
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    Object.assign(copy, this);
    copy.refinements = [...this.refinements, { ok, message: typeof message === 'string' ? message : message.message }];
    return copy;
  }

  /** A copy with one more constraint (the builders never change a schema in place: `name.optional()` must not change `name`). */
  protected with(patch: object): this {
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    return Object.assign(copy, this, patch);
  }
}

export type input<T extends ZodType> = T['_input'];
export type output<T extends ZodType> = T['_output'];
export type infer<T extends ZodType> = T['_output'];

export class ZodOptional<T extends ZodType> extends ZodType<output<T> | undefined, input<T> | undefined> {
  constructor(readonly inner: T) {
    super();
  }
  protected check(v: unknown, path: Path, issues: Issue[]): Checked<output<T> | undefined> {
    return v === undefined ? undefined : (this.inner.run(v, path, issues) as Checked<output<T>>);
  }
}

class ZodString extends ZodType<string> {
  private minLen = 0;
  private maxLen = Infinity;
  private pattern: { re: RegExp; message: string } | null = null;
  protected check(v: unknown, path: Path, issues: Issue[]): Checked<string> {
    if (typeof v !== 'string') return fail(issues, path, `Invalid input: expected string, received ${typeOf(v)}`);
    if (v.length < this.minLen) return fail(issues, path, `Too small: expected string to have >=${this.minLen} characters`);
    if (v.length > this.maxLen) return fail(issues, path, `Too big: expected string to have <=${this.maxLen} characters`);
    if (this.pattern && !this.pattern.re.test(v)) return fail(issues, path, this.pattern.message);
    return v;
  }
  min(n: number): ZodString {
    return this.with({ minLen: n });
  }
  max(n: number): ZodString {
    return this.with({ maxLen: n });
  }
  regex(re: RegExp, message = `Invalid string: must match pattern ${String(re)}`): ZodString {
    return this.with({ pattern: { re, message } });
  }
}

class ZodNumber extends ZodType<number> {
  private lo = -Infinity;
  private loOpen = false;
  private hi = Infinity;
  private integer = false;
  protected check(v: unknown, path: Path, issues: Issue[]): Checked<number> {
    if (typeof v !== 'number' || Number.isNaN(v)) return fail(issues, path, `Invalid input: expected number, received ${typeOf(v)}`);
    if (this.integer && !Number.isSafeInteger(v)) return fail(issues, path, 'Invalid input: expected int, received number');
    if (!Number.isFinite(v)) return fail(issues, path, 'Invalid input: expected number, received number');
    if (this.loOpen ? v <= this.lo : v < this.lo) return fail(issues, path, `Too small: expected number to be ${this.loOpen ? '>' : '>='}${this.lo}`);
    if (v > this.hi) return fail(issues, path, `Too big: expected number to be <=${this.hi}`);
    return v;
  }
  int(): ZodNumber {
    return this.with({ integer: true });
  }
  min(n: number): ZodNumber {
    return this.with({ lo: n, loOpen: false });
  }
  max(n: number): ZodNumber {
    return this.with({ hi: n });
  }
  positive(): ZodNumber {
    return this.with({ lo: 0, loOpen: true });
  }
  nonnegative(): ZodNumber {
    return this.with({ lo: 0, loOpen: false });
  }
}

class ZodBoolean extends ZodType<boolean> {
  protected check(v: unknown, path: Path, issues: Issue[]): Checked<boolean> {
    return typeof v === 'boolean' ? v : fail(issues, path, `Invalid input: expected boolean, received ${typeOf(v)}`);
  }
}

class ZodLiteral<T extends string | number | boolean> extends ZodType<T> {
  constructor(readonly value: T) {
    super();
  }
  protected check(v: unknown, path: Path, issues: Issue[]): Checked<T> {
    return v === this.value ? this.value : fail(issues, path, `Invalid input: expected ${JSON.stringify(this.value)}`);
  }
}

class ZodEnum<T extends readonly [string, ...string[]]> extends ZodType<T[number]> {
  constructor(readonly options: T) {
    super();
  }
  protected check(v: unknown, path: Path, issues: Issue[]): Checked<T[number]> {
    return typeof v === 'string' && this.options.includes(v) ? v : fail(issues, path, `Invalid option: expected one of ${this.options.map((o) => JSON.stringify(o)).join('|')}`);
  }
}

class ZodUnknown extends ZodType<unknown> {
  protected check(v: unknown): unknown {
    return v;
  }
}

class ZodCustom<T> extends ZodType<T> {
  constructor(private readonly ok: (v: unknown) => boolean) {
    super();
  }
  protected check(v: unknown, path: Path, issues: Issue[]): Checked<T> {
    return this.ok(v) ? (v as T) : fail(issues, path, 'Invalid input');
  }
}

class ZodArray<T extends ZodType> extends ZodType<output<T>[], input<T>[]> {
  private maxLen = Infinity;
  constructor(readonly element: T) {
    super();
  }
  protected check(v: unknown, path: Path, issues: Issue[]): Checked<output<T>[]> {
    if (!Array.isArray(v)) return fail(issues, path, `Invalid input: expected array, received ${typeOf(v)}`);
    if (v.length > this.maxLen) return fail(issues, path, `Too big: expected array to have <=${this.maxLen} items`);
    const out: output<T>[] = [];
    for (let i = 0; i < v.length; i++) {
      const x = this.element.run(v[i], [...path, i], issues);
      if (x === BAD) return BAD;
      out.push(x as output<T>);
    }
    return out;
  }
  max(n: number): ZodArray<T> {
    return this.with({ maxLen: n });
  }
}

class ZodRecord<K extends ZodType<string>, V extends ZodType> extends ZodType<Record<output<K>, output<V>>, Record<input<K>, input<V>>> {
  constructor(
    readonly key: K,
    readonly value: V,
  ) {
    super();
  }
  protected check(v: unknown, path: Path, issues: Issue[]): Checked<Record<output<K>, output<V>>> {
    if (!isPlainObject(v)) return fail(issues, path, `Invalid input: expected record, received ${typeOf(v)}`);
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, x] of Object.entries(v)) {
      if (this.key.run(k, [...path, k], issues) === BAD) return BAD;
      const y = this.value.run(x, [...path, k], issues);
      if (y === BAD) return BAD;
      out[k] = y;
    }
    return { ...out } as Record<output<K>, output<V>>;
  }
}

type Shape = Record<string, ZodType>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends S[K]['_output'] ? K : never }[keyof S];
type Flat<T> = { [K in keyof T]: T[K] } & {};
type ObjectOutput<S extends Shape> = Flat<{ [K in Exclude<keyof S, OptionalKeys<S>>]: S[K]['_output'] } & { [K in OptionalKeys<S>]?: S[K]['_output'] }>;
type InputOptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends S[K]['_input'] ? K : never }[keyof S];
type ObjectInput<S extends Shape> = Flat<{ [K in Exclude<keyof S, InputOptionalKeys<S>>]: S[K]['_input'] } & { [K in InputOptionalKeys<S>]?: S[K]['_input'] }>;

class ZodObject<S extends Shape> extends ZodType<ObjectOutput<S>, ObjectInput<S>> {
  constructor(
    readonly shape: S,
    /** Unknown keys are refused (strictObject) or dropped (object). */
    private readonly strictKeys: boolean,
  ) {
    super();
  }
  protected check(v: unknown, path: Path, issues: Issue[]): Checked<ObjectOutput<S>> {
    if (!isPlainObject(v)) return fail(issues, path, `Invalid input: expected object, received ${typeOf(v)}`);
    if (this.strictKeys) {
      const unknown = Object.keys(v).filter((k) => !Object.prototype.hasOwnProperty.call(this.shape, k));
      if (unknown.length > 0) return fail(issues, path, `Unrecognized key${unknown.length > 1 ? 's' : ''}: ${unknown.map((k) => `"${k}"`).join(', ')}`);
    }
    const out: Record<string, unknown> = {};
    for (const [k, schema] of Object.entries(this.shape)) {
      const x = schema.run(Object.prototype.hasOwnProperty.call(v, k) ? v[k] : undefined, [...path, k], issues);
      if (x === BAD) return BAD;
      if (x !== undefined) out[k] = x;
    }
    return out as ObjectOutput<S>;
  }
  /** Every key optional. */
  partial(): ZodObject<{ [K in keyof S]: ZodOptional<S[K]> }> {
    const shape = Object.fromEntries(Object.entries(this.shape).map(([k, s]) => [k, s instanceof ZodOptional ? s : s.optional()]));
    return new ZodObject(shape as { [K in keyof S]: ZodOptional<S[K]> }, this.strictKeys);
  }
  /** Unknown keys refused. */
  strict(): ZodObject<S> {
    return new ZodObject(this.shape, true);
  }
}

class ZodUnion<T extends readonly [ZodType, ...ZodType[]]> extends ZodType<output<T[number]>, input<T[number]>> {
  constructor(readonly options: T) {
    super();
  }
  protected check(v: unknown, path: Path, issues: Issue[]): Checked<output<T[number]>> {
    let first: Issue[] | null = null;
    for (const o of this.options) {
      const mine: Issue[] = [];
      const x = o.run(v, path, mine);
      if (x !== BAD) return x as output<T[number]>;
      first ??= mine;
    }
    // The first alternative's complaint: a union of message kinds is told by its first field.
    issues.push(...(first ?? [{ path, message: 'Invalid input' }]));
    return BAD;
  }
}

function fail(issues: Issue[], path: Path, message: string): typeof BAD {
  issues.push({ path, message });
  return BAD;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The builders, under zod's names. */
export const z = {
  string: () => new ZodString(),
  number: () => new ZodNumber(),
  boolean: () => new ZodBoolean(),
  unknown: () => new ZodUnknown(),
  literal: <T extends string | number | boolean>(value: T) => new ZodLiteral(value),
  enum: <const T extends readonly [string, ...string[]]>(options: T) => new ZodEnum(options),
  array: <T extends ZodType>(element: T) => new ZodArray(element),
  record: <K extends ZodType<string>, V extends ZodType>(key: K, value: V) => new ZodRecord(key, value),
  object: <S extends Shape>(shape: S) => new ZodObject(shape, false),
  strictObject: <S extends Shape>(shape: S) => new ZodObject(shape, true),
  union: <const T extends readonly [ZodType, ...ZodType[]]>(options: T) => new ZodUnion(options),
  custom: <T>(ok: (v: unknown) => boolean) => new ZodCustom<T>(ok),
};

// `z.input<typeof schema>` and friends, as with zod.
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace z {
  export type input<T extends ZodType> = T['_input'];
  export type output<T extends ZodType> = T['_output'];
  export type infer<T extends ZodType> = T['_output'];
  export type ZodType = import('./valid.js').ZodType;
  export type ZodError = import('./valid.js').ZodError;
}
