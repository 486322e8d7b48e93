// Pretrained weights for the model zoo: finding the .params file the user points at and loading it into a network.
// SPDX-License-Identifier: Apache-2.0
//
// MXNet's model store downloads `<name>-<sha1 prefix>.params` into $MXNET_HOME/models. isotensor
// bundles no weights and downloads nothing on its own: `pretrained: true` needs `path` (a file,
// file:// URL or, with getModelAsync, an http(s):// URL) or `root` (a directory holding MXNet's
// files, or a base URL with getModelAsync).
//
// Files in both of MXNet's naming styles load: save_parameters' structural names
// (`features.0.weight`) and full names (`resnetv10_conv0_weight`, with `arg:`/`aux:` from export,
// or without the network's prefix as MXNet's older save_params wrote them).
import type { Context } from '../../base/context.js';
import { IsotensorError } from '../../base/error.js';
import { nodeFs } from '../../base/node_builtin.js';
import { load, loadSync, type NDArrayCollection } from '../../ndarray/io.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import type { Block } from '../block.js';

/** Where pretrained weights come from (MXNet's `pretrained`, `root`, `ctx`; `path` is isotensor's). */
export interface PretrainedOptions {
  /** Load weights after building the network (needs `path` or `root`). */
  pretrained?: boolean;
  /** The .params file: a path or file:// URL; with getModelAsync also an http(s):// URL. */
  path?: string | URL;
  /**
   * A directory holding `<model>.params` or MXNet's `<model>-<8 hex digits>.params` (e.g.
   * `resnet18_v1-a0666292.params`); with getModelAsync also a base URL (`<root>/<model>.params`).
   */
  root?: string | URL;
  /** Context(s) the weights are loaded onto (default cpu). */
  ctx?: Context | string | readonly (Context | string)[] | null;
}

const isHttp = (s: string): boolean => /^https?:\/\//i.test(s);


function noSource(model: string): IsotensorError {
  return new IsotensorError(`${model}: pretrained: true needs the weights' location: pass { path: 'file.params' } ` +
                            `(a path, file:// URL, or an http(s):// URL with vision.getModelAsync) or { root: 'dir' } ` +
                            `(a directory holding ${model}.params or MXNet's ${model}-<hash>.params). isotensor ` +
                            'bundles no weights and downloads nothing by itself.');
}

/** The file (or URL) holding `model`'s weights; http(s) only when `remoteOk` (the async path). */
export function locateWeights(model: string, opts: PretrainedOptions, remoteOk: boolean): string | URL {
  const { path, root } = opts;
  const refuseRemote = (s: string): void => {
    if (isHttp(s) && !remoteOk) {
      throw new IsotensorError(`${model}: weights at ${s} need a download; use ` +
                               `await gluon.modelZoo.vision.getModelAsync('${model}', { pretrained: true, ... })`);
    }
  };
  if (path !== undefined && path !== null && String(path) !== '') {
    refuseRemote(String(path));
    return path;
  }
  if (root === undefined || root === null || String(root) === '') throw noSource(model);
  const r = String(root);
  if (isHttp(r)) {
    refuseRemote(r);
    return `${r.replace(/\/+$/, '')}/${model}.params`;
  }
  const fs = nodeFs(`${model}: looking into a 'root' directory`, "elsewhere give 'path' (a URL) to vision.getModelAsync");
  const dir = r.startsWith('file:') ? new URL(r) : r;
  let files: string[];
  try {
    files = fs.readdirSync(dir);
  } catch (e) {
    throw new IsotensorError(`${model}: cannot read the weights directory root='${r}': ${(e as Error).message}`, { cause: e });
  }
  const hashed = new RegExp(`^${model.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{8}\\.params$`);
  const hit = files.find((f) => f === `${model}.params`) ?? files.filter((f) => hashed.test(f)).sort()[0];
  if (hit === undefined) {
    throw new IsotensorError(`${model}: no ${model}.params or ${model}-<8 hex digits>.params in root='${r}' ` +
                             `(found ${files.filter((f) => f.endsWith('.params')).slice(0, 8).join(', ') || 'no .params files'})`);
  }
  const sep = r.endsWith('/') || r.endsWith('\\') ? '' : '/';
  return `${r}${sep}${hit}`;
}

/** Loads named arrays into net: structural names, full names, or full names without the net's prefix. */
export function loadArrays(net: Block, arrays: NDArrayCollection, where: string, ctx: PretrainedOptions['ctx']): void {
  if (Array.isArray(arrays)) {
    throw new IsotensorError(`${net.name}: ${where} holds an unnamed list of arrays; model weights need names`);
  }
  const names = Object.keys(arrays);
  const all = net.collectParams();
  const dict = new Map<string, NDArray>();
  if (names.some((n) => n.includes('.'))) {
    const structural = net.collectParamsWithPrefix();
    for (const [k, v] of Object.entries(arrays)) dict.set(structural.get(k)?.name ?? k, v);
  } else {
    for (const [k, v] of Object.entries(arrays)) {
      const n = k.startsWith('arg:') || k.startsWith('aux:') ? k.slice(4) : k;
      dict.set(all.has(n) || !all.has(net.prefix + n) ? n : net.prefix + n, v);
    }
  }
  all.loadDict(dict, where, ctx ?? null, {});
}

function release(arrays: NDArrayCollection): void {
  for (const a of Object.values(arrays)) (a as NDArray).dispose();
}

/** Loads model's weights into net from the file given by opts (Node paths and file:// URLs). */
export function loadPretrained(net: Block, model: string, opts: PretrainedOptions): void {
  const src = locateWeights(model, opts, false);
  let arrays: NDArrayCollection;
  try {
    arrays = loadSync(src);
  } catch (e) {
    throw new IsotensorError(`${model}: cannot read pretrained weights '${String(src)}': ${(e as Error).message}`, { cause: e });
  }
  try {
    loadArrays(net, arrays, `file '${String(src)}'`, opts.ctx);
  } finally {
    release(arrays);
  }
}

/** loadPretrained that can also fetch http(s):// URLs (and works where there is no file system). */
export async function loadPretrainedAsync(net: Block, model: string, opts: PretrainedOptions): Promise<void> {
  const src = locateWeights(model, opts, true);
  let arrays: NDArrayCollection;
  try {
    arrays = await load(src);
  } catch (e) {
    throw new IsotensorError(`${model}: cannot read pretrained weights '${String(src)}': ${(e as Error).message}`, { cause: e });
  }
  try {
    loadArrays(net, arrays, `'${String(src)}'`, opts.ctx);
  } finally {
    release(arrays);
  }
}
