// Locates an installed peer package's folder (some peers do not export their package.json).

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** { dir, version } of an installed package, found from its resolved entry point. */
export function packageInfo(name) {
  let dir = path.dirname(require.resolve(name));
  while (dir !== path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      if (pkg.name === name) return { dir, version: pkg.version };
    }
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the package folder of ${name}`);
}
