// Browser stand-in for 'node:url' in the specs: a spec's file URL (rewritten to its HTTP URL) → the server path.
import { serverPath } from './fixtures';

export function fileURLToPath(url: string | URL): string {
  return serverPath(url);
}

export function pathToFileURL(path: string): URL {
  return new URL(path, self.location.href);
}
