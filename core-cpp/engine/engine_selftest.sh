#!/bin/sh
# Builds and runs the engine/storage self-test: sh core-cpp/engine/engine_selftest.sh [extra g++ flags]
# e.g. sh core-cpp/engine/engine_selftest.sh -fsanitize=thread -O1 -g   (race check)
set -e
cd "$(dirname "$0")/../.."
OUT=${TMPDIR:-/tmp}/engine_selftest
nice -n 10 g++ -std=c++17 -O2 -pthread -Wall -Wextra -Icore-cpp -Icore-cpp/include "$@" \
  core-cpp/engine/engine_selftest.cpp core-cpp/engine/*.cc core-cpp/storage/*.cc core-cpp/base/base.cc core-cpp/base/json.cc -o "$OUT"
"$OUT"
