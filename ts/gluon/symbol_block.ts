// gluon.SymbolBlock (MXNet's): a block made from a Symbol graph — how exported or Module-trained models are loaded and run.
// SPDX-License-Identifier: Apache-2.0
import type { Context } from '../base/context.js';
import { IsotensorError, positionalOptions } from '../base/error.js';
import { NDArray } from '../ndarray/ndarray.js';
import { load as ndLoad, type ByteSource } from '../ndarray/io.js';
import { fromJSON, Group, load, loadSync, Symbol, Variable } from '../symbol/symbol.js';
import { HybridBlock, inferParamShapes, type Tensor } from './block.js';
import { CachedOp, type CachedGraph } from './cached_op.js';
import type { Parameter } from './parameter.js';
import { ParameterDict } from './parameter.js';

/** Options of SymbolBlock.imports / importsAsync (as ParameterDict.load's). */
type ImportOptions = { allowMissing?: boolean; ignoreExtra?: boolean };

/** MXNet's positional imports(..., ctx, allow_missing, ignore_extra), or one options object. */
function importOptions(fn: string, args: readonly unknown[]): ImportOptions {
  return positionalOptions<ImportOptions>(fn, [['allowMissing', 'boolean'], ['ignoreExtra', 'boolean']], args);
}
/** Where imported parameters go (default cpu). */
type ImportContext = Context | string | readonly (Context | string)[] | null | undefined;

function isArrayDict(v: unknown): v is Record<string, NDArray> {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return false;
  const values = Object.values(v);
  return values.length > 0 && values.every((x) => x instanceof NDArray);
}

function commonPrefix(names: readonly string[]): string {
  if (names.length === 0) return '';
  let p = names[0]!;
  for (const n of names) while (!n.startsWith(p)) p = p.slice(0, -1);
  return p;
}

/**
 * Runs a Symbol as a block: every argument that is not an input becomes a parameter (auxiliary
 * states with gradReq 'null'); forward always runs the bound graph.
 * @example
 * ```ts
 * const net = gluon.SymbolBlock.imports('lenet-symbol.json', ['data'], 'lenet-0000.params');
 * const y = net.forward(x);
 * ```
 */
export class SymbolBlock extends HybridBlock {
  private readonly graph: CachedGraph;
  private readonly _reg = new Map<string, Parameter>();
  private _op: CachedOp | null = null;

  /**
   * Loads `prefix-symbol.json` and optionally its `.params` (as HybridBlock.export writes them,
   * or MXNet's Module checkpoints: `arg:`/`aux:` names), taking the file's dtypes.
   */
  static imports(symbolFile: string, inputNames: string | readonly string[], paramFile?: string | null,
                 ctx?: ImportContext,
                 options: ImportOptions | boolean = {}, ...rest: unknown[]): SymbolBlock {
    const opts = importOptions('SymbolBlock.imports', [options, ...rest]);
    const ret = SymbolBlock.over(loadSync(symbolFile), inputNames, !!paramFile);
    if (paramFile) ret.loadSaved(paramFile, ctx, opts);
    return ret;
  }

  /**
   * imports() for every runtime: the graph as a path or URL (fetched in browsers and Workers), its JSON
   * text, or a Symbol; the parameters as a path or URL, bytes (Uint8Array/ArrayBuffer/Response), or
   * arrays by name.
   * @example const net = await gluon.SymbolBlock.importsAsync('/model/lenet-symbol.json', 'data', '/model/lenet-0000.params');
   */
  static async importsAsync(symbol: string | URL | Symbol, inputNames: string | readonly string[],
                            params?: string | URL | ByteSource | Record<string, NDArray> | null,
                            ctx?: ImportContext,
                            options: ImportOptions | boolean = {}, ...rest: unknown[]): Promise<SymbolBlock> {
    const opts = importOptions('SymbolBlock.importsAsync', [options, ...rest]);
    const graph = symbol instanceof Symbol ? symbol
      : typeof symbol === 'string' && symbol.trimStart().startsWith('{') ? fromJSON(symbol) : await load(symbol);
    const withParams = params !== undefined && params !== null;
    const ret = SymbolBlock.over(graph, inputNames, withParams);
    if (withParams) {
      const given = isArrayDict(params);
      const arrays = given ? params : await ndLoad<Record<string, NDArray>>(params);
      try {
        if (Array.isArray(arrays)) throw new IsotensorError('SymbolBlock.importsAsync: the parameters hold an unnamed list of arrays');
        ret.loadSaved(arrays, ctx, opts);
      } finally {
        // The parameters hold copies: what was read here is freed now, not at garbage collection.
        if (!given) for (const a of Object.values(arrays)) a.dispose();
      }
    }
    return ret;
  }

  /** The block of imports/importsAsync: without saved parameters the inputs are float32 (MXNet's rule). */
  private static over(graph: Symbol, inputNames: string | readonly string[], withParams: boolean): SymbolBlock {
    const names = typeof inputNames === 'string' ? [inputNames] : [...inputNames];
    return new SymbolBlock(graph, names.map((n) => (withParams ? Variable(n) : Variable(n, { dtype: 'float32' }))));
  }

  /** Loads saved parameters (a file or arrays by name), taking the saved dtypes. */
  private loadSaved(params: string | Record<string, NDArray>, ctx: ImportContext, opts: ImportOptions): void {
    this.collectParams().load(params, ctx ?? null, { ...opts, castDtype: true, dtypeSource: 'saved' });
  }

  constructor(outputs: Symbol | readonly Symbol[], inputs: Symbol | readonly Symbol[], params: ParameterDict | null = null) {
    super({});
    this.resetNames('', new ParameterDict('', params));
    const outs = outputs instanceof Symbol ? [outputs] : [...outputs];
    const ins = inputs instanceof Symbol ? [inputs] : [...inputs];
    if (outs.length === 0 || ins.length === 0) throw new IsotensorError('SymbolBlock: needs at least one output and one input');
    const out = outs.length === 1 ? outs[0]! : Group(outs);
    const inputNames = ins.map((s) => {
      const n = s.name;
      if (n === null || s.listArguments().length !== 1 || s.listArguments()[0] !== n) {
        throw new IsotensorError(`SymbolBlock: input symbols must be variables, got ${s.toString()}`);
      }
      return n;
    });
    const args = out.listArguments();
    for (const n of inputNames) {
      if (!args.includes(n) && !out.listAuxiliaryStates().includes(n)) {
        throw new IsotensorError(`SymbolBlock: input '${n}' is not an argument of the graph (${args.join(', ')})`);
      }
    }
    for (const n of args) if (!inputNames.includes(n)) this.params.get(n, { allowDeferredInit: true });
    for (const n of out.listAuxiliaryStates()) {
      if (!inputNames.includes(n)) this.params.get(n, { gradReq: 'null', allowDeferredInit: true });
    }
    const cut = commonPrefix([...this.params.keys()]).length;
    for (const [k, p] of this.params) this._reg.set(k.slice(cut), p);
    this.graph = { inputNames, inputMask: inputNames.map(() => true), symbol: out, multiOutput: out.numOutputs > 1 };
  }

  override get regParams(): Map<string, Parameter> {
    return new Map(this._reg);
  }

  override getGraph(): CachedGraph {
    return this.graph;
  }

  override deferredInit(inputs: readonly unknown[]): void {
    inferParamShapes(this.graph, inputs.filter((a): a is NDArray => a instanceof NDArray), this.collectParams(), this);
    for (const p of this.collectParams().values()) p.finishDeferredInit();
  }

  override clearCache(): void {
    this._op?.dispose();
    this._op = null;
  }

  override forward(x: Tensor, ...args: Tensor[]): Tensor {
    const inputs = [x, ...args];
    if (x instanceof Symbol) {
      const named: Record<string, Symbol> = {};
      this.graph.inputNames.forEach((n, i) => { named[n] = inputs[i] as Symbol; });
      return this.graph.symbol.call(named);
    }
    if (!(x instanceof NDArray)) throw new IsotensorError(`SymbolBlock: expected NDArray or Symbol inputs, got ${typeof x}`);
    if (inputs.length !== this.graph.inputNames.length) {
      throw new IsotensorError(`SymbolBlock: expected ${this.graph.inputNames.length} input(s) ` +
                               `(${this.graph.inputNames.join(', ')}), got ${inputs.length}`);
    }
    this._op ??= new CachedOp('SymbolBlock', () => this.graph, () => this.collectParams(), (i) => this.deferredInit(i));
    return this._op.call(inputs);
  }
}
