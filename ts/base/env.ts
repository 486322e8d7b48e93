// Environment variables, read where a runtime has them: Node and Bun, Deno (only with --allow-env; without it
// reading throws, which here means "not set"), and nowhere in browsers.
// SPDX-License-Identifier: Apache-2.0

function processEnv(): Record<string, string | undefined> | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
}

/** The variable `name`, or undefined when unset, empty or unreadable. */
export function envVar(name: string): string | undefined {
  try {
    const v = processEnv()?.[name];
    return v === undefined || v === '' ? undefined : v;
  } catch {
    return undefined;  // Deno without --allow-env
  }
}

/** Every variable whose name starts with `prefix` (none where the environment cannot be read). */
export function envVars(prefix: string): Record<string, string> {
  const vars: Record<string, string> = {};
  try {
    for (const [k, v] of Object.entries(processEnv() ?? {})) if (k.startsWith(prefix) && v !== undefined) vars[k] = v;
  } catch {
    // Deno without --allow-env: no variables
  }
  return vars;
}
