#!/usr/bin/env bash
# lintian on each .deb: no error and no warning, except the tags listed in
# lintian-allowed.txt, each explained in docs/deploy.md ("lintian").
#   lintian.sh build/package VERSION
set -uo pipefail
source "$(dirname "$0")/lib.sh" "$@"

if ! command -v lintian >/dev/null; then
  fail "lintian is not installed (scripts/install-deps installs it)"
  finish
fi
allowed=$(grep -v '^#' "$(dirname "$0")/lintian-allowed.txt" | awk 'NF {print $1}' | paste -sd, -)
# The man pages come from packaging/man; without it (a tree before they
# landed) lintian's warning about them is expected.
[[ -f $(dirname "$0")/../../packaging/man/CMakeLists.txt ]] || allowed+=",no-manual-page"
allowed=${allowed#,}
for p in "${packages[@]}"; do
  # (lintian also says on stderr that running as root is not recommended)
  out=$(lintian --no-cfg --fail-on error,warning --suppress-tags "$allowed" "$(deb_of "$p")" 2>&1)
  status=$?
  out=$(grep -v 'running with root privileges' <<<"$out")
  if [[ $status -eq 0 ]]; then
    pass "lintian $p${out:+ (info: $(grep -c '^I:' <<<"$out"))}"
  else
    fail "lintian $p: $out"
  fi
done
finish
