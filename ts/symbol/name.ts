// Automatic symbol naming (MXNet's name.py) and attribute scopes (attribute.py): NameManager, Prefix, AttrScope.
// SPDX-License-Identifier: Apache-2.0
//
// Python enters these with `with`; here `scope.run(fn)` (or `using s = scope.enter()`) makes the
// scope current while fn runs. Names come from one counter per lower-cased op name:
// `fullyconnected0`, `fullyconnected1`, `_plus0` ...
import { IsotensorError } from '../base/error.js';

/** What NameManager and AttrScope share: one current instance, entered like Python's `with`. */
abstract class Scope<S extends Scope<S>> {
  private previous: S | null = null;

  protected abstract readonly kind: string;
  protected abstract current(): S;
  protected abstract makeCurrent(s: S): void;
  /** Called when entering, with the scope being replaced. */
  protected onEnter(_outer: S): void {}

  /** Makes this scope current until `exit()` (or the end of a `using` block). */
  enter(): this {
    if (this.previous !== null) throw new IsotensorError(`this ${this.kind} is already entered`);
    this.previous = this.current();
    this.onEnter(this.previous);
    this.makeCurrent(this as unknown as S);
    return this;
  }

  exit(): void {
    if (this.previous === null) throw new IsotensorError(`this ${this.kind} was not entered`);
    this.makeCurrent(this.previous);
    this.previous = null;
  }

  [globalThis.Symbol.dispose](): void {
    this.exit();
  }

  /** Runs fn with this scope current. */
  run<T>(fn: () => T): T {
    this.enter();
    try {
      return fn();
    } finally {
      this.exit();
    }
  }
}

/**
 * Gives every symbol created without a `name` a unique one from its op: `hint` + a counter per hint.
 * @example
 * ```ts
 * new mx.name.NameManager().run(() => sym.FullyConnected({ data, numHidden: 10 }).name) // 'fullyconnected0'
 * ```
 */
export class NameManager extends Scope<NameManager> {
  private counter = new Map<string, number>();

  /** The name a new symbol gets: `name` when given, else `hint` followed by the hint's count. */
  get(name: string | null | undefined, hint: string): string {
    if (name) return name;
    const n = this.counter.get(hint) ?? 0;
    this.counter.set(hint, n + 1);
    return `${hint}${n}`;
  }

  protected readonly kind = 'NameManager';
  protected current(): NameManager { return currentName; }
  protected makeCurrent(s: NameManager): void { currentName = s; }

  /** The manager symbols are named by now. */
  static get current(): NameManager {
    return currentName;
  }
}

/**
 * A NameManager that puts `prefix` before every name, given or generated.
 * @example
 * ```ts
 * new mx.name.Prefix('mynet_').run(() => sym.FullyConnected({ data, numHidden: 10, name: 'fc1' })).listArguments()
 * // ['data', 'mynet_fc1_weight', 'mynet_fc1_bias']
 * ```
 */
export class Prefix extends NameManager {
  constructor(private readonly prefix: string) {
    super();
  }

  override get(name: string | null | undefined, hint: string): string {
    return this.prefix + super.get(name, hint);
  }
}

let currentName: NameManager = new NameManager();

/**
 * Attributes added to every symbol created while the scope is current (MXNet's AttrScope), e.g.
 * `__ctx_group__` for model parallelism. Values must be strings; nested scopes merge.
 * @example
 * ```ts
 * new mx.AttrScope({ ctx_group: 'dev1' }).run(() => sym.Variable('x')).attr('ctx_group') // 'dev1'
 * ```
 */
export class AttrScope extends Scope<AttrScope> {
  private attrs: Record<string, string>;

  constructor(attrs: Record<string, string> = {}) {
    super();
    for (const [k, v] of Object.entries(attrs)) {
      if (typeof v !== 'string') throw new IsotensorError(`AttrScope: attribute '${k}' must be a string`);
    }
    this.attrs = { ...attrs };
  }

  /** The scope's attributes overlaid with `attr` (the ones given at creation win). */
  get(attr?: Record<string, string> | null): Record<string, string> {
    return { ...this.attrs, ...(attr ?? {}) };
  }

  protected readonly kind = 'AttrScope';
  protected current(): AttrScope { return currentAttr; }
  protected makeCurrent(s: AttrScope): void { currentAttr = s; }
  protected override onEnter(outer: AttrScope): void {
    this.attrs = { ...outer.attrs, ...this.attrs };  // nested scopes merge, the inner one wins
  }

  static get current(): AttrScope {
    return currentAttr;
  }
}

let currentAttr: AttrScope = new AttrScope();
