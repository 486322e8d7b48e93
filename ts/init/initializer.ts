// Initializer base (MXNet's mx.init.Initializer): picks a rule per parameter name or __init__ attribute; registry and create().
// SPDX-License-Identifier: Apache-2.0
import { expectFunction, expectStrings, IsotensorError } from '../base/error.js';
import { NDArray } from '../ndarray/ndarray.js';

/**
 * A parameter to initialize: its name plus the variable's attributes (an `__init__` attribute —
 * the JSON of an initializer, as `sym.Variable('w', { init })` stores it — overrides the default rule).
 */
export class InitDesc {
  readonly name: string;
  readonly attrs: Record<string, string>;
  globalInit: Initializer | null;

  constructor(name: string, attrs: Record<string, string> | null = null, globalInit: Initializer | null = null) {
    this.name = name;
    this.attrs = attrs ?? {};
    this.globalInit = globalInit;
  }

  endsWith(s: string): boolean {
    return this.name.endsWith(s);
  }

  toString(): string {
    return this.name;
  }
}

/** Something that initializes a named array: an Initializer, or Load/Mixed. */
export interface InitializerLike {
  call(desc: InitDesc | string, arr: NDArray): void;
}

/** An initializer object (where an options object could also go: MXNet's positional `init`). */
export function isInitializerLike(v: unknown): v is InitializerLike {
  return typeof v === 'object' && v !== null && typeof (v as InitializerLike).call === 'function';
}

/**
 * Base class of initializers. `call(desc, arr)` fills `arr` by the parameter's name: `*weight` →
 * the subclass's rule, `*bias`/`*beta`/`*min`/`*moving_mean` → 0, `*gamma`/`*max`/`*moving_var` → 1;
 * a variable's `__init__` attribute wins. Subclasses implement `initWeight`.
 * @example new mx.init.Xavier().call(new mx.init.InitDesc('fc1_weight'), w)
 */
export abstract class Initializer implements InitializerLike {
  protected readonly kwargs: Record<string, unknown>;
  private verbose = false;
  private printFunc: ((arr: NDArray) => string) | null = null;

  constructor(kwargs: Record<string, unknown> = {}) {
    this.kwargs = kwargs;
  }

  /** The registered (lower-case) name, used by dumps(). */
  get registeredName(): string {
    return (this.constructor as { initName?: string }).initName ?? this.constructor.name.toLowerCase();
  }

  /** Logs each initialized array (its RMS by default) through console.info. */
  setVerbosity(verbose = false, printFunc?: (arr: NDArray) => string): this {
    this.verbose = verbose;
    this.printFunc = printFunc ?? ((x) => String(Math.sqrt(x.square().mean().asScalar())));
    return this;
  }

  private verbosePrint(desc: InitDesc | string, init: string, arr: NDArray): void {
    if (this.verbose && this.printFunc) console.info(`Initialized ${String(desc)} as ${init}: ${this.printFunc(arr)}`);
  }

  /** MXNet's JSON `["name", {kwargs}]` (snake_case keys, Python's spacing): what a Variable's `__init__` attribute holds. */
  dumps(): string {
    return pyJson([this.registeredName, this.kwargs]);
  }

  /** Fills `arr` for the parameter `desc`. */
  call(desc: InitDesc | string, arr: NDArray): void {
    if (!(arr instanceof NDArray)) throw new IsotensorError(`initializer: expected an NDArray for '${String(desc)}'`);
    if (!(desc instanceof InitDesc)) {
      this.legacyInit(String(desc), arr);
      return;
    }
    if (desc.globalInit === null) desc.globalInit = this;
    const init = desc.attrs.__init__ ?? '';
    if (init) {
      create(init).initWeight(desc, arr);
      this.verbosePrint(desc, init, arr);
      return;
    }
    const rules: [string, (d: InitDesc, a: NDArray) => void, string][] = [
      ['weight', (d, a) => this.initWeight(d, a), 'weight'],
      ['bias', (d, a) => this.initBias(d, a), 'bias'],
      ['gamma', (d, a) => this.initGamma(d, a), 'gamma'],
      ['beta', (d, a) => this.initBeta(d, a), 'beta'],
      ['min', (d, a) => this.initZero(d, a), 'min'],
      ['max', (d, a) => this.initOne(d, a), 'max'],
      // MXNet sets these through BatchNorm's __init__ attributes; the names are a fallback for graphs without them.
      ['moving_mean', (d, a) => this.initZero(d, a), 'moving_mean'],
      ['moving_var', (d, a) => this.initOne(d, a), 'moving_var'],
      ['running_mean', (d, a) => this.initZero(d, a), 'running_mean'],
      ['running_var', (d, a) => this.initOne(d, a), 'running_var'],
      ['moving_inv_var', (d, a) => this.initZero(d, a), 'moving_inv_var'],
      ['moving_avg', (d, a) => this.initZero(d, a), 'moving_avg'],
    ];
    for (const [suffix, f, what] of rules) {
      if (desc.endsWith(suffix)) {
        f(desc, arr);
        this.verbosePrint(desc, what, arr);
        return;
      }
    }
    this.initDefault(desc, arr);
  }

  /** Name-only initialization (MXNet's legacy path for plain strings). */
  protected legacyInit(name: string, arr: NDArray): void {
    const d = new InitDesc(name);
    if (name.startsWith('upsampling')) this.initBilinear(d, arr);
    else if (name.startsWith('stn_loc') && name.endsWith('weight')) this.initZero(d, arr);
    else if (name.startsWith('stn_loc') && name.endsWith('bias')) this.initLocBias(d, arr);
    else if (name.endsWith('bias')) this.initBias(d, arr);
    else if (name.endsWith('gamma')) this.initGamma(d, arr);
    else if (name.endsWith('beta')) this.initBeta(d, arr);
    else if (name.endsWith('weight')) this.initWeight(d, arr);
    else if (name.endsWith('moving_mean')) this.initZero(d, arr);
    else if (name.endsWith('moving_var')) this.initOne(d, arr);
    else if (name.endsWith('moving_inv_var')) this.initZero(d, arr);
    else if (name.endsWith('moving_avg')) this.initZero(d, arr);
    else if (name.endsWith('min')) this.initZero(d, arr);
    else if (name.endsWith('max')) this.initOne(d, arr);
    else this.initDefault(d, arr);
  }

  /** The rule for weights (and for anything an `__init__` attribute names). */
  abstract initWeight(desc: InitDesc, arr: NDArray): void;

  protected initBilinear(_d: InitDesc, arr: NDArray): void {
    arr.set(bilinearWeights(arr.shape));
  }
  protected initLocBias(_d: InitDesc, arr: NDArray): void {
    if (arr.shape[0] !== 6) throw new IsotensorError(`initializer: stn_loc bias must have 6 elements, got [${arr.shape.join(', ')}]`);
    arr.set(new Float32Array([1, 0, 0, 0, 1, 0]));
  }
  protected initZero(_d: InitDesc, arr: NDArray): void { arr.set(0); }
  protected initOne(_d: InitDesc, arr: NDArray): void { arr.set(1); }
  protected initBias(_d: InitDesc, arr: NDArray): void { arr.set(0); }
  protected initGamma(_d: InitDesc, arr: NDArray): void { arr.set(1); }
  protected initBeta(_d: InitDesc, arr: NDArray): void { arr.set(0); }
  protected initDefault(desc: InitDesc, _arr: NDArray): void {
    throw new IsotensorError(`Unknown initialization pattern for ${desc.name}. Default initialization is now limited to ` +
      '"weight", "bias", "gamma" (1.0), and "beta" (0.0). Please use mx.sym.Variable(name, { init: mx.init.* }) to set initialization pattern');
  }

  /** Same class and arguments. */
  equals(other: unknown): boolean {
    return other instanceof Initializer && other.constructor === this.constructor && JSON.stringify(other.kwargs) === JSON.stringify(this.kwargs);
  }
}

/** The bilinear upsampling kernel for a (.., .., h, w) weight, as MXNet's Bilinear initializer. */
export function bilinearWeights(shape: readonly number[]): Float32Array {
  if (shape.length !== 4) throw new IsotensorError(`Bilinear initializer needs a 4-d weight, got [${shape.join(', ')}]`);
  const n = shape.reduce((a, d) => a * d, 1);
  const w = new Float32Array(n);
  const f = Math.ceil(shape[3]! / 2);
  const c = (2 * f - 1 - (f % 2)) / (2 * f);
  for (let i = 0; i < n; i++) {
    const x = i % shape[3]!;
    const y = Math.floor(i / shape[3]!) % shape[2]!;
    w[i] = (1 - Math.abs(x / f - c)) * (1 - Math.abs(y / f - c));
  }
  return w;
}

/** json.dumps as Python writes it (", " and ": " separators) for plain values. */
export function pyJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`;
  if (v instanceof NDArray) return pyJson(v.toArraySync());
  if (ArrayBuffer.isView(v)) return pyJson(Array.from(v as unknown as ArrayLike<number>));
  return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}: ${pyJson(x)}`).join(', ')}}`;
}

// ---- registry ----

type Factory = (kwargs: Record<string, unknown>) => Initializer;
const registry = new Map<string, Factory>();

/** Registers an initializer under lower-case names (MXNet's @register/@alias). */
export function register(names: string[], factory: Factory): void {
  expectStrings(names, 'initializer.register', 'names');
  expectFunction(factory, 'initializer.register', 'factory');
  for (const n of names) registry.set(n.toLowerCase(), factory);
}

const camel = (k: string) => k.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());

/**
 * An initializer from a name ('xavier', 'zeros', ...), MXNet's JSON (`'["uniform", {"scale": 0.1}]'`,
 * what dumps() and `__init__` attributes hold) or an initializer (returned as is).
 * @example mx.init.create('xavier', { magnitude: 2 }); mx.init.create('["normal", {"sigma": 0.02}]')
 */
export function create(init: string | Initializer, kwargs: Record<string, unknown> = {}): Initializer {
  if (init instanceof Initializer) return init;
  if (typeof init !== 'string') throw new IsotensorError(`init.create: expected a name or JSON string, got ${typeof init}`);
  const s = init.trim();
  if (s.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(s);
    } catch (e) {
      throw new IsotensorError(`init.create: invalid initializer JSON ${s}`, { cause: e });
    }
    const [name, kw] = parsed as [string, Record<string, unknown>];
    return create(name, { ...(kw ?? {}), ...kwargs });
  }
  const f = registry.get(s.toLowerCase());
  if (f === undefined) throw new IsotensorError(`init.create: '${init}' is not a registered initializer (known: ${[...registry.keys()].sort().join(', ')})`);
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kwargs)) o[camel(k)] = v;
  return f(o);
}
