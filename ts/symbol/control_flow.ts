// sym.contrib.foreach / while_loop / cond: MXNet's control-flow ops built from JS functions (python/mxnet/symbol/contrib.py).
// SPDX-License-Identifier: Apache-2.0
//
// The function runs once on fresh variables inside an AttrScope that marks every node it creates with
// "__subgraph_name__"; the marked nodes are the body. Values the body reads from outside are cut off
// (the core's ist_symbol_cut_subgraph) into variables of the body and become inputs of the op node, so
// the body and its node are what MXNet writes: the JSON loads in MXNet, and MXNet's loads here.
import { IsotensorError } from '../base/error.js';
import { flattenNested, regroupNested, sameFormat, type Nested, type NestedFormat } from '../base/nested_list.js';
import { contrib as generatedContrib } from '../ops/symbol.generated.js';
import { AttrScope } from './name.js';
import { createOpSymbol, Group, Symbol, Variable } from './symbol.js';

const isSymbol = (x: unknown): x is Symbol => x instanceof Symbol;
const outputCount = (s: Symbol): number => s.numOutputs;

function flatten(args: Nested<Symbol>, what: string): [Symbol[], NestedFormat] {
  return flattenNested(args, isSymbol, outputCount, what);
}

function checkSymbols(xs: readonly unknown[], msg: string): void {
  if (!xs.every(isSymbol)) throw new IsotensorError(msg);
}

// MXNet's AttrScope._subgraph_names: one counter per subgraph name, for the whole program.
const subgraphNames = new Map<string, number>();

function uniqueSubgraphName(name: string): string {
  const outer = AttrScope.current.get()['__subgraph_name__'] ?? '';
  if (outer !== '') name = `${outer}$${name}`;
  const n = subgraphNames.get(name) ?? 0;
  subgraphNames.set(name, n + 1);
  return `${name}${n}`;
}

// The name of a fresh variable standing for `s` in a body: "<name>-<output index>".
function uniqueName(s: Symbol): string {
  return `${s.name}-${s.attr('_value_index')}`;
}

function identity(x: Symbol): Symbol {
  return createOpSymbol('_copy', 'identity', [x], {}, {});
}

function inScope(s: Symbol, scope: string): boolean {
  return (s.listAttr()['__subgraph_name__'] ?? '') === scope;
}

// The body's outputs as one group (MXNet's make_identity): an output that is one of the body's
// inputs, was made outside the body, or that `alsoWrap` picks goes through identity, so every
// body output is a body node of its own.
function bodyGroup(outputs: readonly Symbol[], scope: string,
                   alsoWrap: (s: Symbol, i: number) => boolean = () => false): Symbol {
  const inputNames = new Set(Group(outputs).listInputs());
  return Group(outputs.map((x, i) =>
    (inputNames.has(x.name ?? '') || !inScope(x, scope) || alsoWrap(x, i) ? identity(x) : x)));
}

// The variables of a body, by name (MXNet's _get_graph_inputs).
function graphInputs(g: Symbol): Map<string, Symbol> {
  const internals = g.getInternals();
  const r = new Map<string, Symbol>();
  for (const name of g.listInputs()) r.set(name, internals.get(name));
  return r;
}

// Cuts the body off the outside graph; the outside values it read, by their variable names.
function cutSubgraph(g: Symbol): Map<string, Symbol> {
  const cut = new Symbol(g.backend.symbolCutSubgraph(g.h()), g.backend);
  const r = new Map<string, Symbol>();
  for (let i = 0; i < cut.numOutputs; i++) {
    const s = cut.at(i);
    r.set(s.listOutputs()[0]!, s);
  }
  return r;
}

function locsString(locs: readonly number[]): string {
  return `[${locs.join(', ')}]`;
}

function checkUniqueInputs(names: readonly string[]): void {
  if (new Set(names).size !== names.length) {
    throw new IsotensorError(`The inputs of the subgraph don't have unique names: ${names.join(', ')}`);
  }
}

/**
 * Runs `body` over axis 0 of `data` (MXNet's `sym.contrib.foreach`): `body(dataStep, states)` returns
 * `[outputs, newStates]`; the result is `[outputs stacked over the steps, final states]`.
 * @example
 * ```ts
 * const [outs, states] = sym.contrib.foreach((x, s) => [x.add(s[0]), [s[0].mul(2)]], sym.var('data'), [sym.var('state')]);
 * ```
 */
export function foreach(body: (data: Nested<Symbol>, states: Nested<Symbol>) => [Nested<Symbol>, Nested<Symbol>],
                        data: Nested<Symbol>, initStates: Nested<Symbol>, name = 'foreach'): [Nested<Symbol>, Nested<Symbol>] {
  const [flatData, dataFmt] = flatten(data, 'foreach input');
  checkSymbols(flatData, 'data should be a symbol or a nested list of symbols');
  const [flatStates, stateFmt] = flatten(initStates, 'foreach states');
  checkSymbols(flatStates, 'init_states should be a symbol or a nested list of symbols');
  const scope = uniqueSubgraphName(name);
  let numOutData = 0;
  let numStates = 0;
  let outFmt: NestedFormat = 0;
  let outStateFmt: NestedFormat = 0;
  const g = new AttrScope({ __subgraph_name__: scope }).run(() => {
    const [inEles] = regroupNested(flatData.map((s) => Variable(uniqueName(s))), dataFmt);
    const [states] = regroupNested(flatStates.map((s) => Variable(uniqueName(s))), stateFmt);
    const result = body(inEles, states);
    if (!Array.isArray(result) || result.length !== 2) {
      throw new IsotensorError('foreach: the body must return [outputs, states]');
    }
    const [symOut, fmt] = flatten(result[0] as Nested<Symbol>, 'foreach output');
    const [symStates, sfmt] = flatten(result[1] as Nested<Symbol>, 'foreach loop_vars');
    if (!sameFormat(stateFmt, sfmt)) throw new IsotensorError('The input and output loop_vars have different format');
    checkSymbols(symOut, 'the output should be an NDArray or a nested list of NDArrays');
    checkSymbols(symStates, 'the output states should be an NDArray or a nested list of NDArrays');
    numOutData = symOut.length;
    numStates = symStates.length;
    outFmt = fmt;
    outStateFmt = sfmt;
    return constructSubgraph(symOut, symStates, scope);
  });
  const cut = cutSubgraph(g);
  const inputSyms = graphInputs(g);
  const stateNames = flatStates.map(uniqueName);
  const dataNames = flatData.map(uniqueName);
  const subgInputNames = g.listInputs();
  checkUniqueInputs(subgInputNames);
  const orderedIns: Symbol[] = [...flatData];
  const inDataLocs = dataNames.map((d) => {
    const i = subgInputNames.indexOf(d);
    if (i < 0) throw new IsotensorError('the data arrays have to be used in the loop body');
    return i;
  });
  orderedIns.push(...flatStates);
  const inStateLocs = stateNames.map((s) => {
    const i = subgInputNames.indexOf(s);
    if (i < 0) throw new IsotensorError('the state arrays have to be used in the loop body');
    return i;
  });
  const remainLocs: number[] = [];
  subgInputNames.forEach((inName, i) => {
    const c = cut.get(inName);
    if (c !== undefined) {
      orderedIns.push(c);
      remainLocs.push(i);
    } else if (!dataNames.includes(inName) && !stateNames.includes(inName)) {
      // Variables created inside the body: the op gets copies (a body shares no node with the outside).
      orderedIns.push(inputSyms.get(inName)!.copy());
      remainLocs.push(i);
    }
  });
  const numOutputs = numOutData + numStates;
  const ret = createOpSymbol('_foreach', '_foreach', [g, ...orderedIns], {}, {
    num_args: String(1 + orderedIns.length), num_outputs: String(numOutputs), num_out_data: String(numOutData),
    in_state_locs: locsString(inStateLocs), in_data_locs: locsString(inDataLocs), remain_locs: locsString(remainLocs),
  });
  const outs: Symbol[] = [];
  for (let i = 0; i < numOutData; i++) outs.push(ret.at(i));
  const states: Symbol[] = [];
  for (let i = 0; i < numStates; i++) states.push(ret.at(numOutData + i));
  return [regroupNested(outs, outFmt)[0], regroupNested(states, outStateFmt)[0]];
}

// MXNet's _construct_subgraph: outputs then states; a state that is also an output gets its own identity.
function constructSubgraph(symOut: readonly Symbol[], symStates: readonly Symbol[], scope: string): Symbol {
  const outputNames = new Set(symOut.map((o) => o.name));
  return bodyGroup([...symOut, ...symStates], scope, (s, i) => i >= symOut.length && outputNames.has(s.name));
}

// MXNet's _union_inputs: the op's inputs (the union of the bodies' inputs) and, per body, where each of
// its inputs is among them; `loopVars`, when given, also yields where each loop variable is among a body's inputs.
function unionInputs(graphs: readonly Symbol[], loopVars: readonly Symbol[] | null):
  [Symbol[], { inputLocs: number[]; varLocs: number[] }[]] {
  const inputs: Symbol[] = [];
  const locs: { inputLocs: number[]; varLocs: number[] }[] = [];
  const idToLoc = new Map<Symbol, number>();
  for (const graph of graphs) {
    const nameToLoopVars = new Map<string, Symbol>();
    const nameToVarLocs = new Map<string, number>();
    if (loopVars !== null) {
      loopVars.forEach((s, i) => {
        nameToLoopVars.set(uniqueName(s), s);
        nameToVarLocs.set(uniqueName(s), i);
      });
    } else {
      for (const s of inputs) nameToLoopVars.set(s.name ?? '', s);
    }
    const cut = cutSubgraph(graph);
    const inputSyms = graphInputs(graph);
    const inputLocs: number[] = [];
    const varLocs = new Array<number>(loopVars?.length ?? 0).fill(-1);
    const names = graph.listInputs();
    checkUniqueInputs(names);
    for (const name of names) {
      const sym = nameToLoopVars.get(name) ?? cut.get(name) ?? inputSyms.get(name)!.copy();
      let loc = idToLoc.get(sym);
      if (loc === undefined) {
        loc = idToLoc.size;
        inputs.push(sym);
        idToLoc.set(sym, loc);
      }
      inputLocs.push(loc);
      const v = nameToVarLocs.get(name);
      if (v !== undefined) varLocs[v] = inputLocs.length - 1;
    }
    locs.push({ inputLocs, varLocs });
  }
  return [inputs, locs];
}

function asList<T>(x: T | readonly T[]): T[] {
  return Array.isArray(x) ? [...(x as readonly T[])] : [x as T];
}

/**
 * A while loop (MXNet's `sym.contrib.while_loop`): while `cond(...loopVars)` is non-zero and fewer than
 * `maxIterations` steps ran, `func(...loopVars)` returns `[stepOutputs, newLoopVars]`. The result is
 * `[step outputs stacked to maxIterations rows, final loop variables]`; rows past the last step are zero.
 * @example
 * ```ts
 * const [outs, vars] = sym.contrib.while_loop((i, s) => i.lesserEqual(5), (i, s) => [[i.add(s)], [i.add(1), s.add(i)]],
 *                                            [sym.var('i'), sym.var('s')], { maxIterations: 10 });
 * ```
 */
export function while_loop(cond: (...vars: Symbol[]) => Symbol,
                           func: (...vars: Symbol[]) => [Nested<Symbol> | null, Nested<Symbol> | null],
                           loopVars: Nested<Symbol>, opts: { maxIterations?: number; max_iterations?: number; name?: string } = {}):
  [Nested<Symbol>, Nested<Symbol>] {
  const maxIterations = opts.maxIterations ?? opts.max_iterations;
  const name = opts.name ?? 'while_loop';
  if (maxIterations === undefined) throw new IsotensorError('max_iterations should be specified');
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new IsotensorError(`while_loop: max_iterations must be a positive integer, got ${maxIterations}`);
  }
  const [flatVars, varFmt] = flatten(loopVars, 'while loop_vars');
  checkSymbols(flatVars, 'loop_vars should be a symbol or a nested list of symbols');
  if (flatVars.length === 0) throw new IsotensorError('loop_vars should contain at least one element');
  const createSubgraph = (graphFunc: (vars: Nested<Symbol>) => [Symbol[], Symbol[], NestedFormat], subgraphName: string):
    [Symbol, number, number, NestedFormat] => {
    const scope = uniqueSubgraphName(subgraphName);
    return new AttrScope({ __subgraph_name__: scope }).run(() => {
      const [newVars] = regroupNested(flatVars.map((s) => Variable(uniqueName(s))), varFmt);
      const [outputs, finalState, outFmt] = graphFunc(newVars);
      const all = [...outputs, ...finalState];
      return [bodyGroup(all, scope), outputs.length, all.length, outFmt];
    });
  };
  const spread = (vars: Nested<Symbol>): Symbol[] => asList(vars as Symbol | Symbol[]);
  const [condG, condOutData, condOutputs] = createSubgraph((vars) => {
    const result = cond(...spread(vars));
    if (!(result instanceof Symbol)) throw new IsotensorError('Return of cond must be a Symbol');
    return [[], [result], 0];
  }, `${name}_cond`);
  if (condOutData !== 0 || condOutputs !== 1) throw new IsotensorError('while_loop: cond must return one Symbol');
  const [funcG, numOutData, numOutputs, outFmt] = createSubgraph((vars) => {
    const r = func(...spread(vars));
    if (!Array.isArray(r) || r.length !== 2) throw new IsotensorError('while_loop: func must return [stepOutput, newLoopVars]');
    const [stepOut, sfmt] = flatten((r[0] ?? []) as Nested<Symbol>, 'while output');
    const [newVars] = flatten((r[1] ?? []) as Nested<Symbol>, 'while loop_vars');
    if (newVars.length !== flatVars.length) throw new IsotensorError('The number of loop_vars should be consistent during the loop');
    return [stepOut, newVars, sfmt];
  }, `${name}_func`);
  const [inputSyms, [condLocs, funcLocs]] = unionInputs([condG, funcG], flatVars);
  funcLocs!.varLocs.forEach((loc, i) => {
    if (loc === -1) throw new IsotensorError(`The ${i + 1}-th loop_var doesn't involve into the computation`);
  });
  const result = createOpSymbol('_while_loop', '_while_loop', [condG, funcG, ...inputSyms], {}, {
    num_args: String(2 + inputSyms.length), max_iterations: String(maxIterations),
    cond_input_locs: locsString(condLocs!.inputLocs), func_input_locs: locsString(funcLocs!.inputLocs),
    func_var_locs: locsString(funcLocs!.varLocs), num_out_data: String(numOutData), num_outputs: String(numOutputs),
  });
  const outputs: Symbol[] = [];
  for (let i = 0; i < numOutData; i++) outputs.push(result.at(i));
  const finalVars: Symbol[] = [];
  for (let i = numOutData; i < numOutputs; i++) finalVars.push(result.at(i));
  return [numOutData > 0 ? regroupNested(outputs, outFmt)[0] : [], regroupNested(finalVars, varFmt)[0]];
}

/**
 * If-then-else on a one-element `pred` (MXNet's `sym.contrib.cond`): the outputs of `thenFunc()` where
 * pred is non-zero, else of `elseFunc()`. Both must return the same number of outputs.
 * @example
 * ```ts
 * const out = sym.contrib.cond(a.lesser(b), () => a.add(b), () => a.sub(b));
 * ```
 */
export function cond(pred: Symbol, thenFunc: () => Nested<Symbol>, elseFunc: () => Nested<Symbol>, name = 'cond'):
  Nested<Symbol> {
  if (!(pred instanceof Symbol)) throw new IsotensorError('cond: pred must be a Symbol');
  const createSubgraph = (graphFunc: () => Nested<Symbol>, subgraphName: string): [Symbol, number, NestedFormat] => {
    const scope = uniqueSubgraphName(subgraphName);
    return new AttrScope({ __subgraph_name__: scope }).run(() => {
      const [outputs, fmt] = flatten(graphFunc(), 'cond outputs');
      checkSymbols(outputs, 'cond: the branches must return Symbols');
      return [bodyGroup(outputs, scope), outputs.length, fmt];
    });
  };
  const [condG, condNum] = createSubgraph(() => pred, `${name}_pred`);
  if (condNum !== 1) throw new IsotensorError('pred should always be a single output');
  const [thenG, thenNum, thenFmt] = createSubgraph(thenFunc, `${name}_then`);
  const [elseG, elseNum] = createSubgraph(elseFunc, `${name}_else`);
  if (thenNum !== elseNum) throw new IsotensorError('Number of outputs differs between then-branch and else-branch');
  const [inputSyms, [c, t, e]] = unionInputs([condG, thenG, elseG], null);
  const result = createOpSymbol('_cond', '_cond', [condG, thenG, elseG, ...inputSyms], {}, {
    num_args: String(3 + inputSyms.length), num_outputs: String(thenNum),
    cond_input_locs: locsString(c!.inputLocs), then_input_locs: locsString(t!.inputLocs),
    else_input_locs: locsString(e!.inputLocs),
  });
  const outputs: Symbol[] = [];
  for (let i = 0; i < thenNum; i++) outputs.push(result.at(i));
  return regroupNested(outputs, thenFmt)[0];
}

/** sym.contrib: the generated _contrib_* ops plus the control-flow functions. */
export const contrib = { ...generatedContrib, foreach, while_loop, whileLoop: while_loop, cond } as const;
