// The cached graph of a hybridized block: its Symbol bound once per input signature, run by the executor as one autograd node.
// SPDX-License-Identifier: Apache-2.0
//
// MXNet's CachedOp. The traced Symbol is bound (memory planned, every internal array allocated
// once) per context, input shapes/dtypes and whether gradients are needed. Parameters are bound
// by reference, so optimizer updates are seen without copies; inputs are copied into the bound
// arrays. Under autograd.record the whole graph is recorded as ONE node (an autograd.Function):
// its backward runs the executor's backward and hands back the parameter and input gradients.
//
// An executor's backward needs the values of its own last forward, so an executor whose
// recorded forward still waits for backward is busy; another forward binds a second one (a cell
// unrolled over many steps inside one record keeps one per step). A busy executor is never
// reused; idle ones beyond MAX_IDLE_SLOTS are freed.
import { Function as AutogradFunction } from '../autograd/function.js';
import { isRecording, isTraining } from '../autograd/autograd.js';
import type { Context } from '../base/context.js';
import { IsotensorError } from '../base/error.js';
import { zeros } from '../ndarray/creation.js';
import { keep } from '../ndarray/lifetime.js';
import { NDArray, type GradReq } from '../ndarray/ndarray.js';
import type { Executor } from '../symbol/executor.js';
import type { Symbol } from '../symbol/symbol.js';
import type { Parameter } from './parameter.js';
import type { ParameterDict } from './parameter.js';

/** Options of hybridize(). Executors are always statically planned; the flags are kept for MXNet parity. */
export interface CachedOpOptions {
  staticAlloc?: boolean;
  staticShape?: boolean;
}

/** A traced hybridForward: input variable names, which positional inputs were given, the (grouped) outputs. */
export interface CachedGraph {
  inputNames: string[];
  inputMask: boolean[];
  symbol: Symbol;
  multiOutput: boolean;
}

const MAX_IDLE_SLOTS = 4;

/** What each bound argument is. */
type Role = { kind: 'input'; index: number } | { kind: 'param'; param: Parameter };

interface Slot {
  exec: Executor;
  /** The parameter arrays bound (a replaced array means rebinding). */
  bound: NDArray[];
  /** Arrays this slot allocated (inputs, gradients). */
  owned: NDArray[];
  busy: boolean;
  /** Counts forwards (and frees): a recorded node's backward needs its own forward to be the last. */
  generation: number;
  lastUse: number;
}

interface Entry {
  graph: CachedGraph;
  ctx: Context;
  withGrad: boolean;
  roles: Role[];
  auxParams: Parameter[];
  /** Argument indices that get gradients, in the order the recorded node lists its inputs. */
  gradArgs: number[];
  slots: Slot[];
}

interface GraphInfo {
  argNames: string[];
  /** The parameter bound to each argument (null: an input). */
  argParams: (Parameter | null)[];
  auxParams: Parameter[];
}

let useCounter = 0;

/** One recorded run of a slot: forward already done by the caller, backward drives the executor. */
class GraphNode extends AutogradFunction {
  private generation = -1;

  constructor(private readonly op: CachedOp, private readonly entry: Entry, private readonly slot: Slot,
              private readonly isTrain: boolean, private run: (() => NDArray[]) | null) {
    super();
  }

  forward(): NDArray[] {
    const out = this.run!();
    this.run = null;  // it holds the inputs; the node may live until its outputs are collected
    this.generation = this.slot.generation;
    return out;
  }

  backward(...og: NDArray[]): NDArray[] {
    const s = this.slot;
    if (s.generation !== this.generation || s.exec.isDisposed) {
      og.forEach((g) => g.dispose());
      throw new IsotensorError(`${this.op.name}: the hybridized graph ran again after this recording (a backward ` +
                               'with retainGraph followed by a new forward), so its saved values are gone; run the ' +
                               'backward before the next forward');
    }
    s.exec.backward(og, { isTrain: this.isTrain });
    og.forEach((g) => g.dispose());
    s.busy = false;
    return this.entry.gradArgs.map((i) => s.exec.gradArrays[i]!);
  }

  override onReleased(): void {
    if (this.slot.generation === this.generation) this.slot.busy = false;
  }
}

/** The cached graph executors of one block. @internal */
export class CachedOp {
  private readonly entries = new Map<string, Entry>();
  private readonly infos = new WeakMap<CachedGraph, GraphInfo>();

  constructor(readonly name: string,
              private readonly graphOf: (inputs: readonly unknown[]) => CachedGraph,
              private readonly params: () => ParameterDict,
              private readonly deferredInit: ((inputs: readonly unknown[]) => void) | null,
              readonly opts: CachedOpOptions = {}) {}

  /** Frees every executor. */
  dispose(): void {
    for (const e of this.entries.values()) for (const s of e.slots) this.freeSlot(s);
    this.entries.clear();
  }

  private freeSlot(s: Slot): void {
    s.exec.dispose();
    for (const a of s.owned) a.dispose();
    s.generation++;
  }

  /** Names and parameters of a graph's arguments, resolved once per graph. */
  private infoOf(graph: CachedGraph): GraphInfo {
    let info = this.infos.get(graph);
    if (info === undefined) {
      const params = this.params();
      const argNames = graph.symbol.listArguments();
      const auxNames = graph.symbol.listAuxiliaryStates();
      const argParams = argNames.map((n) => (graph.inputNames.includes(n) ? null : params.has(n) ? params.item(n) : null));
      argNames.forEach((n, i) => {
        if (argParams[i] === null && !graph.inputNames.includes(n)) {
          throw new IsotensorError(`${this.name}: the graph's argument '${n}' is neither an input ` +
                                   `(${graph.inputNames.join(', ')}) nor a parameter of the block`);
        }
      });
      const auxParams = auxNames.map((n) => {
        if (!params.has(n)) throw new IsotensorError(`${this.name}: the graph's auxiliary state '${n}' is not a parameter`);
        return params.item(n);
      });
      info = { argNames, argParams, auxParams };
      this.infos.set(graph, info);
    }
    return info;
  }

  /** Runs the graph on inputs (undefined for inputs not given); returns one output or the list. */
  call(inputs: readonly unknown[]): NDArray | NDArray[] {
    const graph = this.graphOf(inputs);
    const given = inputs.filter((a): a is NDArray => a !== undefined && a !== null);
    if (given.length !== graph.inputNames.length || given.some((a) => !(a instanceof NDArray))) {
      throw new IsotensorError(`${this.name}: expected ${graph.inputNames.length} NDArray input(s)`);
    }
    const ctx = given[0]!.context;
    const info = this.infoOf(graph);
    this.ensureInitialized(inputs, info);

    const recording = isRecording();
    const training = isTraining();
    const b = given[0]!.backend;
    const inputGrad = given.map((a) => recording && b.autogradKind(a.handle) !== 0);
    const withGrad = recording && (inputGrad.some((x) => x) || info.argParams.some((p) => p !== null && p.gradReq !== 'null'));
    let key = `${ctx.toString()}|${withGrad ? 'g' : 'n'}`;
    for (let i = 0; i < given.length; i++) {
      const a = given[i]!;
      key += `|${inputGrad[i] ? 1 : 0}${a.dtype}(${a.shape.join(',')})`;
    }
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = this.makeEntry(graph, info, ctx, withGrad, inputGrad);
      this.entries.set(key, entry);
    }
    const slot = this.pickSlot(entry, given);
    const feed: Record<string, NDArray | boolean> = { isTrain: training };
    graph.inputNames.forEach((n, i) => { feed[n] = given[i]!; });
    const run = (): NDArray[] => {
      slot.generation++;  // the values a pending backward needs are overwritten now
      return slot.exec.forward(feed).map((o) => o.copy());
    };
    let outs: NDArray[];
    if (withGrad) {
      slot.busy = true;
      const node = new GraphNode(this, entry, slot, training, run);
      const recorded = entry.gradArgs.map((i) => {
        const r = entry!.roles[i]!;
        return r.kind === 'input' ? given[r.index]! : r.param.data(ctx);
      });
      const out = node.call(...recorded);
      outs = out instanceof NDArray ? [out] : out;
    } else {
      outs = run();
    }
    return graph.multiOutput ? outs : outs[0]!;
  }

  private ensureInitialized(inputs: readonly unknown[], info: GraphInfo): void {
    let deferred = false;
    for (const p of [...info.argParams, ...info.auxParams]) {
      if (p === null || p.isInitialized) continue;
      if (p.isDeferred) deferred = true;
      else p.data();  // throws the "not initialized" error
    }
    if (deferred) {
      if (this.deferredInit === null) throw new IsotensorError(`${this.name}: parameters wait for deferred initialization`);
      this.deferredInit(inputs);
    }
  }

  private makeEntry(graph: CachedGraph, info: GraphInfo, ctx: Context, withGrad: boolean, inputGrad: boolean[]): Entry {
    const roles: Role[] = info.argNames.map((n, i) => {
      const p = info.argParams[i];
      return p === null || p === undefined ? { kind: 'input', index: graph.inputNames.indexOf(n) } : { kind: 'param', param: p };
    });
    const auxParams = info.auxParams;
    const gradArgs: number[] = [];
    if (withGrad) {
      roles.forEach((r, i) => {
        if (r.kind === 'input' ? inputGrad[r.index] : r.param.gradReq !== 'null') gradArgs.push(i);
      });
    }
    return { graph, ctx, withGrad, roles, auxParams, gradArgs, slots: [] };
  }

  private currentParams(entry: Entry): NDArray[] {
    const out: NDArray[] = [];
    for (const r of entry.roles) if (r.kind === 'param') out.push(r.param.data(entry.ctx));
    for (const p of entry.auxParams) out.push(p.data(entry.ctx));
    return out;
  }

  private pickSlot(entry: Entry, given: NDArray[]): Slot {
    const cur = this.currentParams(entry);
    const fresh = (s: Slot): boolean => s.bound.length === cur.length && s.bound.every((a, i) => a === cur[i]);
    let slot = entry.slots.find((s) => !s.busy);
    if (slot !== undefined && !fresh(slot)) {
      this.freeSlot(slot);
      entry.slots.splice(entry.slots.indexOf(slot), 1);
      slot = undefined;
    }
    if (slot === undefined) {
      slot = this.bindSlot(entry, given, cur);
      entry.slots.push(slot);
    }
    slot.lastUse = ++useCounter;
    // Busy executors from a long recording become idle after backward: keep a few for reuse.
    const idle = entry.slots.filter((s) => !s.busy && s !== slot).sort((a, b) => b.lastUse - a.lastUse);
    for (const extra of idle.slice(MAX_IDLE_SLOTS - 1)) {
      this.freeSlot(extra);
      entry.slots.splice(entry.slots.indexOf(extra), 1);
    }
    return slot;
  }

  private bindSlot(entry: Entry, given: NDArray[], cur: NDArray[]): Slot {
    const owned: NDArray[] = [];
    const own = (a: NDArray): NDArray => {
      owned.push(keep(a));
      return a;
    };
    const args: NDArray[] = [];
    const grads: (NDArray | null)[] = [];
    const reqs: GradReq[] = [];
    const want = new Set(entry.gradArgs);
    try {
      entry.roles.forEach((r, i) => {
        const a = r.kind === 'input'
          ? own(zeros(given[r.index]!.shape, { dtype: given[r.index]!.dtype, ctx: entry.ctx }))
          : r.param.data(entry.ctx);
        args.push(a);
        if (want.has(i)) {
          grads.push(own(zeros(a.shape, { dtype: a.dtype, ctx: entry.ctx })));
          reqs.push('write');
        } else {
          grads.push(null);
          reqs.push('null');
        }
      });
      const aux = entry.auxParams.map((p) => p.data(entry.ctx));
      const exec = entry.graph.symbol.bind(entry.ctx, args, {
        argsGrad: entry.withGrad ? grads : null, gradReq: reqs, auxStates: aux,
      });
      return { exec, bound: cur, owned, busy: false, generation: 0, lastUse: 0 };
    } catch (e) {
      for (const a of owned) a.dispose();
      throw e;
    }
  }

  /** Bound executors (for tests and memory figures). */
  get executors(): Executor[] {
    return [...this.entries.values()].flatMap((e) => e.slots.map((s) => s.exec));
  }
}
