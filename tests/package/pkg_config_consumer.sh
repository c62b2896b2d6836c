#!/usr/bin/env bash
# qrlogin.pc from the staged install: a tiny program compiled and linked with
# `pkg-config --cflags --libs qrlogin` only, then run.
#   pkg_config_consumer.sh build/package VERSION
set -uo pipefail
source "$(dirname "$0")/lib.sh" "$@"

pc=$(find "$stage/usr/lib" -name qrlogin.pc -path '*/pkgconfig/*' | head -n1)
[[ -n $pc ]] || { fail "no qrlogin.pc under $stage/usr/lib"; finish; }
export PKG_CONFIG_PATH=${pc%/*}
# Nothing but the path: the .pc finds its prefix from where it lies.
pkg=(pkg-config)
[[ $("${pkg[@]}" --modversion qrlogin) == "$version" ]] && pass "pkg-config --modversion qrlogin: $version" ||
  fail "pkg-config --modversion qrlogin: $("${pkg[@]}" --modversion qrlogin 2>&1)"
flags=$("${pkg[@]}" --cflags --libs qrlogin) || { fail "pkg-config --cflags --libs qrlogin"; finish; }
cat >"$scratch/tiny.cpp" <<'CPP'
#include <cstdio>
#include "crypto/pairing/link.hpp"
#include "crypto/pairing/receiver.hpp"
int main() {
  auto receiver = qrlogin::pairing::Receiver::create("https://app.example/pair", {});
  if (!receiver.ok()) return 1;
  auto link = qrlogin::pairing::parse_link(receiver->link());
  if (!link.ok() || link->relay_url != "wss://app.example") return 1;
  std::printf("%s\n", receiver->link().c_str());
  return 0;
}
CPP
# shellcheck disable=SC2086
[[ $flags == *"-I$stage/usr/"* || $flags == *"-I${pc%/*}/"* ]] || fail "the flags do not point into the staged tree: $flags"
if c++ -std=c++20 -o "$scratch/tiny" "$scratch/tiny.cpp" $flags 2>"$scratch/cc.log"; then
  pass "compiled and linked with: $flags"
  out=$("$scratch/tiny") && [[ $out == https://app.example/pair#v1.* ]] && pass "it makes a link: $out" ||
    fail "the program failed: $out"
else
  cat "$scratch/cc.log" >&2
  fail "c++ ... \$(pkg-config --cflags --libs qrlogin)"
fi
finish
