// Bundles the browser suite with esbuild: the harness (vitest stand-in, node:* stand-ins, page/worker runners) and
// one bundle per spec, whose 'vitest', 'node:*' and 'isotensor' imports stay URLs so every spec shares one copy of each.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { allSpecs } from './subset.mjs';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const harnessDir = fileURLToPath(new URL('./harness/', import.meta.url));
/** Output folder, under build/ (git-ignored), served at /build/browser-test/. */
export const outDir = join(repoRoot, 'build', 'browser-test');
const urlOf = (abs) => '/' + relative(repoRoot, abs).split(sep).join('/');

/** The bundle the suite tests: the browser entry once it exists, else the Node entry (it also runs in browsers). */
export function isotensorBundle() {
  const browser = join(repoRoot, 'dist', 'index.browser.mjs');
  return existsSync(browser) ? browser : join(repoRoot, 'dist', 'index.mjs');
}

const harnessEntries = ['vitest', 'node-fs', 'node-url', 'node-path', 'page', 'worker'];
const nodeStandIns = { fs: 'node-fs', url: 'node-url', path: 'node-path' };

function externals(isotensorUrl) {
  return {
    name: 'browser-suite-externals',
    setup(build) {
      build.onResolve({ filter: /^isotensor$/ }, () => ({ path: isotensorUrl, external: true }));
      build.onResolve({ filter: /^vitest$/ }, () => ({ path: '/build/browser-test/harness/vitest.mjs', external: true }));
      build.onResolve({ filter: /^(node:)?(fs|url|path|os|child_process|zlib|v8|vm|http|net|util|module)$/ }, (a) => {
        const name = a.path.replace(/^node:/, '');
        if (!(name in nodeStandIns)) {
          return { errors: [{ text: `${a.importer} imports '${a.path}', which has no browser stand-in (test/browser/harness)` }] };
        }
        return { path: `/build/browser-test/harness/${nodeStandIns[name]}.mjs`, external: true };
      });
    },
  };
}

// Every file or folder a source names with new URL('<literal>', import.meta.url); `${...}` ends the literal, so
// `../fixtures/gluon/${f}` names the folder. Folders contribute all their files.
const URL_LITERAL = /new URL\(\s*(['"`])(\.{1,2}\/[^'"`$]*)(?:\$\{[^]*?)?\1\s*,\s*import\.meta\.url\s*\)/g;
function namedFiles(source, file) {
  const out = [];
  for (const m of source.matchAll(URL_LITERAL)) {
    const target = resolve(dirname(file), m[2]);
    if (!existsSync(target)) continue;
    const walk = (p) => (statSync(p).isDirectory() ? readdirSync(p).forEach((n) => walk(join(p, n))) : out.push(urlOf(p)));
    walk(target);
  }
  return out;
}

// Sources under test/ get import.meta.url = their own URL on the server (so fixture URLs resolve there), and
// their new URL(..., import.meta.url) files are recorded for prefetching.
function specSources(fixturesBySource) {
  return {
    name: 'browser-suite-spec-sources',
    setup(build) {
      build.onLoad({ filter: /[\\/]test[\\/].*\.(ts|mjs|js)$/ }, (a) => {
        const source = readFileSync(a.path, 'utf8');
        fixturesBySource.set(a.path, namedFiles(source, a.path));
        const selfUrl = `new URL(${JSON.stringify(urlOf(a.path))}, self.location.href).href`;
        return { contents: source.replaceAll('import.meta.url', selfUrl), loader: a.path.endsWith('.ts') ? 'ts' : 'js' };
      });
    },
  };
}

const common = {
  bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outExtension: { '.js': '.mjs' },
  logLevel: 'silent', legalComments: 'none', charset: 'utf8', absWorkingDir: repoRoot,
};

/**
 * Builds harness and specs into build/browser-test and writes manifest.json:
 * { isotensor: URL, specs: [{ name, bundle: URL, fixtures: [URL] }] }. Returns the manifest.
 */
export async function buildBrowserSuite(specs = allSpecs) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const isotensorUrl = urlOf(isotensorBundle());
  await esbuild.build({
    ...common,
    entryPoints: harnessEntries.map((n) => join(harnessDir, `${n}.ts`)),
    outdir: join(outDir, 'harness'),
    splitting: true,  // one shared copy of the fixture store and the test collector
    plugins: [externals(isotensorUrl)],
  });
  const fixturesBySource = new Map();
  const result = await esbuild.build({
    ...common,
    entryPoints: specs.map((s) => join(repoRoot, s)),
    outbase: join(repoRoot, 'test'),
    outdir: join(outDir, 'specs'),
    metafile: true,
    define: { 'process.env': '{}' },  // helpers read ISOTENSOR_* variables; a browser has none
    plugins: [externals(isotensorUrl), specSources(fixturesBySource)],
  });
  const manifest = { isotensor: isotensorUrl, specs: [] };
  for (const [out, meta] of Object.entries(result.metafile.outputs)) {
    if (!meta.entryPoint) continue;
    const fixtures = new Set();
    for (const input of Object.keys(meta.inputs)) {
      for (const f of fixturesBySource.get(resolve(repoRoot, input)) ?? []) fixtures.add(f);
    }
    manifest.specs.push({
      name: relative(repoRoot, resolve(repoRoot, meta.entryPoint)).split(sep).join('/'),
      bundle: urlOf(resolve(repoRoot, out)),
      fixtures: [...fixtures].sort(),
    });
  }
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 1));
  return manifest;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const m = await buildBrowserSuite();
  console.log(`built ${m.specs.length} specs against ${m.isotensor} into ${relative(repoRoot, outDir)}`);
}
