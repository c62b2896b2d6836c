#!/usr/bin/env bash
# tests/package/external, an integrator's CMake project, configured against
# the staged install only (CMAKE_PREFIX_PATH), built, and run: a complete
# in-process pairing and the transcript's vectors through the installed
# libraries and headers.
#   cmake_consumer.sh build/package VERSION tests/vectors/transcript-v1.json
set -uo pipefail
source "$(dirname "$0")/lib.sh" "$@"
transcript=$3

build=$scratch/build
if ! cmake -S "$(dirname "$0")/external" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
       -DCMAKE_PREFIX_PATH="$stage/usr" >"$scratch/configure.log" 2>&1; then
  cat "$scratch/configure.log" >&2
  fail "find_package(qrlogin) against $stage/usr"
  finish
fi
pass "find_package(qrlogin) against the staged install"
# The headers must come from the install, not from this source tree.
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
# (the staged install lies under build/, so only the tree's root counts)
if grep -qE -- "(-I|-isystem )$source_dir( |\$)" "$build/build.ninja"; then
  fail "the consumer's build uses the source tree's headers"
fi
if ! cmake --build "$build" >"$scratch/build.log" 2>&1; then
  cat "$scratch/build.log" >&2
  fail "the consumer does not build"
  finish
fi
pass "the consumer builds with qrlogin::pairing"
if "$build/pair_in_process" "$transcript"; then
  pass "pair_in_process: the installed libraries pair and match the transcript"
else
  fail "pair_in_process"
fi
# A version the package does not satisfy is refused.
mkdir -p "$scratch/v2"
cat >"$scratch/v2/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(v2 LANGUAGES CXX)
find_package(qrlogin 99 REQUIRED)
CMAKE
if cmake -S "$scratch/v2" -B "$scratch/v2/build" -DCMAKE_PREFIX_PATH="$stage/usr" >"$scratch/v2.log" 2>&1; then
  fail "find_package(qrlogin 99) was accepted"
else
  pass "find_package(qrlogin 99) is refused by the version file"
fi
finish
