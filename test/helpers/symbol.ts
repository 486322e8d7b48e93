// Helpers for the Symbol specs.
import * as mx from 'isotensor';

/** Runs fn under a new NameManager, so automatic names (fullyconnected0, _plus0) start from 0. */
export const fresh = <T>(fn: () => T): T => new mx.name.NameManager().run(fn);
