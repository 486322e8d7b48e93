// Files the specs read synchronously (readFileSync): fetched over HTTP before the spec loads, then served from memory.
const files = new Map<string, Uint8Array>();

/** The server path (/test/fixtures/x.json) of a path, file: or http: URL, or URL object. */
export function serverPath(p: string | URL): string {
  const s = String(p);
  return /^[a-z][a-z0-9+.-]*:/i.test(s) ? decodeURIComponent(new URL(s).pathname) : s;
}

/** Fetches each listed server path into memory (in parallel); throws naming the first that failed. */
export async function prefetch(paths: readonly string[]): Promise<void> {
  await Promise.all(paths.filter((p) => !files.has(p)).map(async (p) => {
    const res = await fetch(p);
    if (!res.ok) throw new Error(`fixture ${p}: HTTP ${res.status}`);
    files.set(p, new Uint8Array(await res.arrayBuffer()));
  }));
}

export function has(path: string): boolean {
  return files.has(path);
}

/** The bytes of a prefetched file, or Node's ENOENT error naming why it is missing here. */
export function bytes(path: string): Uint8Array {
  const b = files.get(path);
  if (b !== undefined) return b;
  const err = new Error(`ENOENT: no such file or directory, open '${path}' (the browser harness serves only files ` +
                        `named by new URL('<literal>', import.meta.url) in the bundled sources; see test/browser/build.mjs)`);
  (err as { code?: string }).code = 'ENOENT';
  throw err;
}
