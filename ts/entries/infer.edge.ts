// The infer entry for Workers runtimes: the wasm comes in as a static module import (see backend/edge_wasm.ts).
import '../backend/edge_wasm.js';
export * from '../infer.js';
