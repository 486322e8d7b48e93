// autograd.Function: user-defined forward and backward in JS, recorded as one node of the graph.
// SPDX-License-Identifier: Apache-2.0
import type { Backend, Handle } from '../backend/backend.js';
import { backend as getBackend } from '../backend/runtime.js';
import { IsotensorError } from '../base/error.js';
import { NDArray } from '../ndarray/ndarray.js';

// Functions recorded in live graphs, by id; the core reports ids whose node is gone.
const live = new Map<number, Function>();
let nextId = 1;
const hooked = new WeakSet<Backend>();

function sweep(b: Backend): void {
  for (const id of b.takeReleasedCustom()) {
    const f = live.get(id);
    live.delete(id);
    f?.onReleased();
  }
}

function installHook(b: Backend): void {
  if (hooked.has(b)) return;
  b.setCustomBackward((id: number, ograds: Handle[], numInputs: number): Handle[] => {
    const og = ograds.map((h) => new NDArray(h, b));
    const f = live.get(id);
    if (f === undefined) {
      og.forEach((g) => g.dispose());
      throw new IsotensorError('autograd.Function: the function of this graph node is gone');
    }
    const r = f.backward(...og);
    const list = r instanceof NDArray ? [r] : [...r];
    if (list.length !== numInputs) {
      throw new IsotensorError(`autograd.Function: backward returned ${list.length} gradient(s) for ${numInputs} ` +
                               'input(s)');
    }
    // New handles for the core to own; the JS objects stay the user's.
    return list.map((g) => (g === null || g === undefined ? 0 : b.detach(g.handle)));
  });
  hooked.add(b);
}

/**
 * A differentiable function with a hand-written gradient (MXNet's autograd.Function).
 * forward() runs without recording (in predict mode, as MXNet's); when called under
 * autograd.record(), its outputs become one graph node whose gradient is backward().
 * @example
 * class Sigmoid extends autograd.Function {
 *   forward(x) { const y = nd.sigmoid(x); this.saveForBackward(y); return y; }
 *   backward(dy) { const [y] = this.savedTensors; return dy.mul(y).mul(y.mul(-1).add(1)); }
 * }
 * const y = autograd.record(() => new Sigmoid().call(x));
 */
export abstract class Function {
  private saved: NDArray[] = [];

  /** Keeps arrays for backward (MXNet save_for_backward). */
  saveForBackward(...arrays: NDArray[]): void {
    this.saved = arrays;
  }

  /** What saveForBackward kept. */
  get savedTensors(): NDArray[] {
    return this.saved;
  }

  /** Called once the recorded graph node is gone (after it was swept); gluon's cached graphs free their executor here. */
  onReleased(): void {}

  abstract forward(...inputs: NDArray[]): NDArray | NDArray[];
  /** One gradient per input (null: zero), given one gradient per output. */
  abstract backward(...outputGrads: NDArray[]): NDArray | ReadonlyArray<NDArray | null>;

  /** Runs forward and, when recording, records the node. */
  call(...inputs: NDArray[]): NDArray | NDArray[] {
    const b = getBackend();
    for (const x of inputs) {
      if (!(x instanceof NDArray)) throw new IsotensorError('autograd.Function.call: inputs must be NDArrays');
    }
    installHook(b);
    sweep(b);
    const recording = b.setRecording(false);
    const training = b.setTraining(false);
    let out: NDArray | NDArray[];
    try {
      out = this.forward(...inputs);
    } finally {
      b.setRecording(recording);
      b.setTraining(training);
    }
    const outs = out instanceof NDArray ? [out] : [...out];
    if (outs.length === 0 || outs.some((o) => !(o instanceof NDArray))) {
      throw new IsotensorError('autograd.Function: forward must return an NDArray or a non-empty NDArray list');
    }
    if (recording) {
      const id = nextId++;
      live.set(id, this);
      b.recordCustom(id, inputs.map((x) => x.handle), outs.map((o) => o.handle));
    }
    return out;
  }
}
