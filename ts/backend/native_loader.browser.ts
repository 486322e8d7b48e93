// The native addon loader of the browser and Workers bundles: there is no addon outside Node, so these
// bundles carry no Node loading code (rollup swaps this file in for native_loader.ts).
// SPDX-License-Identifier: Apache-2.0
export type { NativeAddon } from './native_loader.js';

const REASON = 'the native addon runs only in Node.js (this is the browser/Workers build of isotensor)';

/** Why loadNative() returned null. */
export function nativeLoadError(): string {
  return REASON;
}

/** Always null here: browsers, Deno and Workers use the WebAssembly backend. */
export function loadNative(): null {
  return null;
}
