// The package's install step: builds the native addon from the package's own sources when a C++ compiler is
// present, and otherwise (or when the build fails) leaves the WebAssembly backend, saying why in
// bindings/build/install-status.json, which mx.runtimeInfo().nativeUnavailable reports. It never fails the
// install and never downloads anything: the Node-API headers come from the node-addon-api and
// node-api-headers packages. In a development checkout (a Makefile is present) `make` builds the addon instead.
//
// Environment: ISOTENSOR_SKIP_NATIVE=1 skips the build; CXX picks the compiler; ISOTENSOR_NO_CUDA=1 builds
// without CUDA even when nvcc is found; ISOTENSOR_BUILD_JOBS sets parallel compiles (default: all cores).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultChunk, sourcesUnder, writeUnitySources } from './unity-build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'bindings', 'build');
const addon = join(out, 'isotensor.node');
const statusFile = join(out, 'install-status.json');
const log = (msg) => console.log(`isotensor: ${msg}`);

function finish(status) {
  mkdirSync(out, { recursive: true });
  writeFileSync(statusFile, JSON.stringify(status, null, 2) + '\n');
  if (!status.built) log(`native addon not built (${status.reason}); the WebAssembly backend will be used`);
  process.exit(0);
}

/** The first command among `candidates` that answers --version, or null. */
function findTool(candidates) {
  for (const c of candidates) {
    if (!c) continue;
    const r = spawnSync(c, ['--version'], { stdio: 'ignore' });
    if (r.status === 0) return c;
  }
  return null;
}

/** Runs the compile jobs `jobs` at a time; resolves to the first failure's output, or ''. */
function runAll(commands, jobs) {
  return new Promise((resolve) => {
    let next = 0, running = 0, done = 0, failure = '';
    const startOne = () => {
      if (failure || next >= commands.length) {
        if (running === 0) resolve(failure);
        return;
      }
      const [cmd, args, label] = commands[next++];
      running++;
      const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => { if (err.length < 4000) err += d; });
      const settle = (code) => {
        running--;
        done++;
        if (code !== 0 && !failure) failure = `${label}: ${err.trim().split('\n').slice(0, 12).join('\n') || `exit ${code}`}`;
        if (done % 10 === 0 || done === commands.length) log(`compiled ${done}/${commands.length}`);
        startOne();
      };
      child.on('error', (e) => { err += e.message; settle(1); });
      child.on('close', settle);
    };
    for (let i = 0; i < jobs; i++) startOne();
  });
}

async function main() {
  if (existsSync(join(root, 'Makefile'))) return;  // development checkout: `make native` builds the addon
  if (process.env.ISOTENSOR_SKIP_NATIVE === '1') finish({ built: false, reason: 'skipped (ISOTENSOR_SKIP_NATIVE=1)' });
  const cxx = findTool([process.env.CXX, 'c++', 'g++', 'clang++']);
  if (cxx === null) {
    finish({ built: false, reason: 'no C++ compiler was found at install (tried $CXX, c++, g++, clang++)' });
  }
  const req = createRequire(import.meta.url);
  let napiIncludes;
  try {
    napiIncludes = [dirname(req.resolve('node-addon-api/package.json')), req('node-api-headers').include_dir];
  } catch (e) {
    finish({ built: false, reason: `the Node-API headers are missing (${e.message})` });
  }
  const flags = req('../bindings/build-flags.json');
  const nvcc = process.env.ISOTENSOR_NO_CUDA === '1' ? null : findTool([process.env.NVCC, 'nvcc']);
  const cudaHome = nvcc ? dirname(dirname(spawnSync('sh', ['-c', `command -v ${nvcc}`]).stdout.toString().trim())) : '';
  const includes = flags.includes.map((d) => `-I${d}`);
  const defines = nvcc ? flags.cudaDefines : [];
  const cxxflags = [...flags.cxxflags, ...includes, ...defines, ...(nvcc ? [`-I${cudaHome}/include`] : [])];
  const objDir = join(out, 'obj');
  rmSync(objDir, { recursive: true, force: true });
  mkdirSync(objDir, { recursive: true });

  const commands = [];
  const objects = [];
  const objectOf = (src) => {
    const o = join(objDir, src.replace(/[\\/]/g, '__') + '.o');
    objects.push(o);
    return o;
  };
  // Unity translation units, as the Makefile compiles them (scripts/unity-build.mjs says why).
  const unity = relative(root, join(objDir, 'unity'));
  const units = (ext) => writeUnitySources(root, unity, sourcesUnder(root, 'core-cpp', ext), ext, defaultChunk[ext]);
  const addonFlags = [...napiIncludes.map((d) => `-I${d}`), ...flags.addonDefines];
  for (const src of units('.cc')) {
    const extra = src.endsWith('.avx2.cc') ? flags.avx2 : src.endsWith('.avx512.cc') ? flags.avx512 : [];
    commands.push([cxx, [...cxxflags, ...extra, '-c', src, '-o', objectOf(src)], src]);
  }
  // bindings/*.cc only: the unity files above are written under bindings/build/.
  for (const src of sourcesUnder(root, 'bindings', '.cc').filter((s) => dirname(s) === 'bindings')) {
    commands.push([cxx, [...cxxflags, ...addonFlags, '-c', src, '-o', objectOf(src)], src]);
  }
  if (nvcc) {
    for (const src of units('.cu')) {
      commands.push([nvcc, [...flags.nvccflags, ...includes, ...defines, ...flags.cudaArch, '-c', src, '-o', objectOf(src)], src]);
    }
  }
  const jobs = Math.max(1, Number(process.env.ISOTENSOR_BUILD_JOBS) || availableParallelism());
  log(`building the native addon with ${cxx}${nvcc ? ` and ${nvcc} (CUDA)` : ''}: ${commands.length} files, ` +
      `${jobs} at a time (ISOTENSOR_SKIP_NATIVE=1 skips this)`);
  const t0 = Date.now();
  const failure = await runAll(commands, jobs);
  if (failure) finish({ built: false, reason: `the native build failed: ${failure}` });
  const link = spawnSync(cxx, ['-shared', '-pthread', '-o', addon, ...objects,
    ...(nvcc ? [`-L${cudaHome}/lib64`, ...flags.cudaLibs] : [])], { cwd: root, encoding: 'utf8' });
  rmSync(objDir, { recursive: true, force: true });
  if (link.status !== 0) finish({ built: false, reason: `linking the native addon failed: ${link.stderr.slice(0, 2000)}` });
  const load = spawnSync(process.execPath, ['-e', 'require(process.argv[1])', addon], { encoding: 'utf8' });
  if (load.status !== 0) {
    rmSync(addon, { force: true });
    finish({ built: false, reason: `the built addon does not load: ${load.stderr.trim().split('\n')[0]}` });
  }
  const seconds = Math.round((Date.now() - t0) / 1000);
  log(`native addon built in ${seconds} s`);
  finish({ built: true, compiler: cxx, cuda: !!nvcc, seconds });
}

main().catch((e) => finish({ built: false, reason: `the install step failed: ${e?.message ?? e}` }));
