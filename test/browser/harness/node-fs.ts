// Browser stand-in for 'node:fs' in the specs: synchronous reads of the prefetched fixture files.
import { bytes, has, serverPath } from './fixtures';

type Encoding = string | { encoding?: string | null } | null | undefined;

export function readFileSync(path: string | URL, options?: Encoding): Uint8Array | string {
  const b = bytes(serverPath(path));
  const encoding = typeof options === 'string' ? options : options?.encoding;
  if (encoding === 'utf8' || encoding === 'utf-8') return new TextDecoder().decode(b);
  if (encoding) throw new Error(`readFileSync: encoding '${encoding}' is not supported in the browser harness`);
  return b.slice();
}

export function existsSync(path: string | URL): boolean {
  return has(serverPath(path));
}
