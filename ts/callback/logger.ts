// The logger callbacks and Module write through (MXNet's `logging`), and Python's %-style number formatting.
// SPDX-License-Identifier: Apache-2.0

/** Where training messages go: anything with `info` (console, a pino/winston logger, a capture in tests). */
export interface Logger {
  info(message: string): void;
  warn?(message: string): void;
  warning?(message: string): void;
}

/** The console: info to stdout, warnings to stderr. */
export const consoleLogger: Logger = {
  info: (m: string) => console.info(m),
  warn: (m: string) => console.warn(m),
};

/** A logger that drops everything. */
export const silentLogger: Logger = { info: () => {}, warn: () => {} };

/** Logs a warning through whichever method the logger has. */
export function warn(logger: Logger, message: string): void {
  if (logger.warn) logger.warn(message);
  else if (logger.warning) logger.warning(message);
  else logger.info(message);
}

/** Python's '%.Nf' (nan/inf spelled as Python does). */
export function pyFixed(x: number, digits = 6): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return x.toFixed(digits);
}
