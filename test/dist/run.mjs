// The npm package as users get it: `npm pack`, then install the tarball into an empty folder on a PATH with
// no C++ compiler, and check what a user sees — the install succeeds, the WebAssembly backend runs from the
// ESM, CJS, browser and inference entries, and mx.runtimeInfo() says why the native backend is absent.
// Prints one line per check and, last, "N passed, N failed".
//
//   node test/dist/run.mjs [--keep]      (--keep leaves the temporary folder and prints its path)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packTarball } from '../../scripts/pack-tarball.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'isotensor-dist-'));
const results = [];

function check(name, fn) {
  try {
    fn();
    results.push({ name, ok: true });
    console.log(`  ✓ ${name}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`  ✗ ${name}\n      ${String(e.message ?? e).split('\n').join('\n      ')}`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** A bin folder with node and the shell tools npm needs, and no compiler. */
function compilerFreePath() {
  const bin = join(work, 'bin');
  mkdirSync(bin);
  for (const tool of ['node', 'sh', 'env', 'dirname', 'uname']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found) symlinkSync(found, join(bin, tool));
  }
  return bin;
}

/** Runs `code` as a module file in the consumer folder; returns stdout. */
function runIn(dir, file, code, env = {}, args = []) {
  writeFileSync(join(dir, file), code);
  const r = spawnSync(process.execPath, [...args, file], { cwd: dir, encoding: 'utf8', timeout: 60_000,
    env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${file} exited ${r.status}: ${(r.stderr || '').trim().slice(-1500)}`);
  return r.stdout.trim();
}

console.log('package (npm pack → install without a compiler)');
const packDir = join(work, 'pack');
mkdirSync(packDir);
const packed = packTarball(packDir);
const { tarball } = packed;
const consumer = join(work, 'consumer');
mkdirSync(consumer);
writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));

check(`tarball holds the bundles, both wasm flavours and the addon sources (${packed.entryCount} files, ` +
      `${(packed.size / 1e6).toFixed(1)} MB packed)`, () => {
  const files = new Set(packed.files.map((f) => f.path));
  for (const f of ['dist/index.mjs', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.browser.mjs', 'dist/index.edge.mjs',
    'dist/infer.mjs', 'dist/infer.cjs', 'dist/infer.d.ts', 'dist/infer.browser.mjs', 'dist/infer.edge.mjs',
    'wasm/dist/isotensor-simd.mjs', 'wasm/dist/isotensor-simd.wasm', 'wasm/dist/isotensor-threads.mjs',
    'wasm/dist/isotensor-threads.wasm', 'wasm/dist/isotensor-threads.worker.js', 'wasm/dist/package.json',
    'bindings/addon.cc', 'bindings/build-flags.json', 'scripts/install-native.mjs', 'LICENSE', 'README.md']) {
    assert(files.has(f), `missing ${f}`);
  }
  assert(![...files].some((f) => f.startsWith('bindings/build/')), 'a prebuilt addon was packed');
  assert(![...files].some((f) => f.endsWith('.map')), 'source maps were packed');
});

const bin = compilerFreePath();
const npmCli = join(dirname(execFileSync('sh', ['-c', 'readlink -f "$(command -v npm)"'], { encoding: 'utf8' }).trim()),
  'npm-cli.js');
// The package's dependencies as tarballs packed from this checkout's node_modules, installed beside it:
// npm then needs no registry metadata (an offline install otherwise depends on which packuments the npm
// cache happens to hold).
const depTarballs = Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies ?? {}).map((name) => {
  const out = execFileSync(process.execPath, [npmCli, 'pack', '--silent', '--pack-destination', packDir, join(root, 'node_modules', name)],
    { encoding: 'utf8' }).trim().split('\n').pop();
  return join(packDir, out);
});
let installed = false;
check('npm install of the tarball succeeds with no compiler on PATH and no network', () => {
  const r = spawnSync(process.execPath, [npmCli, 'install', '--no-audit', '--no-fund', '--offline', ...depTarballs, tarball], {
    cwd: consumer, encoding: 'utf8', timeout: 180_000,
    env: { ...process.env, PATH: bin, CXX: '', npm_config_nodedir: '' },
  });
  assert(r.status === 0, `npm install exited ${r.status}: ${(r.stderr || '').slice(-1500)}`);
  installed = true;
});

const pkgDir = join(consumer, 'node_modules', 'isotensor');
check('the install step recorded why the native addon was not built', () => {
  assert(installed, 'not installed');
  const status = JSON.parse(readFileSync(join(pkgDir, 'bindings/build/install-status.json'), 'utf8'));
  assert(status.built === false && /no C\+\+ compiler/.test(status.reason), JSON.stringify(status));
  assert(!existsSync(join(pkgDir, 'bindings/build/isotensor.node')), 'an addon exists');
});

const env = { PATH: bin };
check('ESM entry: wasm backend computes, runtimeInfo says why native is absent', () => {
  const out = runIn(consumer, 'esm.mjs', `
    import * as mx from 'isotensor';
    await mx.ready();
    const y = mx.nd.dot(mx.nd.array([[1, 2], [3, 4]]), mx.nd.array([[1], [1]]));
    const info = mx.runtimeInfo();
    console.log(JSON.stringify({ y: Array.from(await y.data()), backend: info.backend, why: info.nativeUnavailable }));
  `, env);
  const r = JSON.parse(out);
  assert(JSON.stringify(r.y) === '[3,7]', `dot gave ${r.y}`);
  assert(r.backend === 'wasm', `backend ${r.backend}`);
  assert(/not built when the package was installed: no C\+\+ compiler/.test(r.why), `nativeUnavailable: ${r.why}`);
});

check('CJS entry: require("isotensor") and require("isotensor/infer")', () => {
  const out = runIn(consumer, 'cjs.cjs', `
    const mx = require('isotensor');
    const infer = require('isotensor/infer');
    mx.ready().then(async () => {
      const s = mx.nd.array([1, 2, 3]).sum();
      console.log(JSON.stringify({ s: await s.scalar(), gluon: typeof mx.gluon, inferGluon: typeof infer.gluon,
        inferSym: typeof infer.sym.Variable, same: infer.NDArray === mx.NDArray }));
    });
  `, env);
  const r = JSON.parse(out);
  assert(r.s === 6 && r.gluon === 'object' && r.inferGluon === 'undefined' && r.inferSym === 'function',
    `got ${out}`);
});

check('both wasm flavours load from the installed package (threads and single)', () => {
  for (const flavour of ['threads', 'single']) {
    const out = runIn(consumer, `flavour-${flavour}.mjs`, `
      import * as mx from 'isotensor';
      await mx.ready();
      const y = mx.nd.relu(mx.nd.array([-1, 2]));
      console.log(JSON.stringify({ flavour: mx.runtimeInfo().wasmFlavour, y: Array.from(await y.data()) }));
    `, { ...env, ISOTENSOR_WASM_FLAVOUR: flavour });
    const r = JSON.parse(out);
    assert(r.flavour === flavour && JSON.stringify(r.y) === '[0,2]', `${flavour}: ${out}`);
  }
});

check('the browser condition resolves to the browser bundle, which runs (node -C browser)', () => {
  const out = runIn(consumer, 'browser-cond.mjs', `
    import * as mx from 'isotensor';
    import * as infer from 'isotensor/infer';
    await mx.ready();
    const x = mx.nd.array([[1, 2, 3]]);
    const s = mx.sym.FullyConnected(mx.sym.Variable('data'), { numHidden: 2, noBias: true, name: 'fc' });
    const ex = s.simpleBind(mx.cpu(), { data: [1, 3] });
    ex.argDict.fc_weight.set(1);
    ex.argDict.data.set(x);
    const out = ex.forward()[0];
    console.log(JSON.stringify({ url: import.meta.resolve('isotensor'), infer: import.meta.resolve('isotensor/infer'),
      y: Array.from(await out.data()), why: mx.runtimeInfo().nativeUnavailable, inferNd: typeof infer.nd.zeros }));
  `, env, ['-C', 'browser']);
  const r = JSON.parse(out);
  assert(r.url.endsWith('/dist/index.browser.mjs') && r.infer.endsWith('/dist/infer.browser.mjs'), `resolved ${out}`);
  assert(JSON.stringify(r.y) === '[6,6]', `forward gave ${r.y}`);
  assert(/only in Node/.test(r.why) && r.inferNd === 'function', `got ${out}`);
});

check('the workerd, deno and worker conditions resolve to the edge and browser bundles', () => {
  for (const [cond, want] of [['workerd', 'index.edge.mjs'], ['deno', 'index.browser.mjs'], ['worker', 'index.browser.mjs']]) {
    const out = runIn(consumer, `resolve-${cond}.mjs`, `console.log(import.meta.resolve('isotensor'));`, env, ['-C', cond]);
    assert(out.endsWith(`/dist/${want}`), `-C ${cond} resolved ${out}`);
  }
});

const failed = results.filter((r) => !r.ok).length;
if (process.argv.includes('--keep')) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
