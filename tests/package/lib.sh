# Shared by the package tests: the arguments, the .debs, a scratch directory
# removed on exit, and one way to fail.
#   source lib.sh "$@"    ($1 build/package, $2 the project's version)
package_dir=$(cd "$1" && pwd) || { echo "no $1: run scripts/package" >&2; exit 1; }
version=$2
debs=$package_dir/debs
stage=$package_dir/stage
arch=$(dpkg --print-architecture)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/qrlogin-package-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failures=0

fail() {
  echo "FAILED: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }
finish() {
  if ((failures)); then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}
deb_of() { echo "$debs/${1}_${version}-1_${arch}.deb"; }
# Exports each KEY=VALUE line of an environment file as systemd's
# EnvironmentFile= reads it (comments skipped, one pair of double quotes
# around the value removed).
load_env_file() {
  local key value
  while IFS= read -r line; do
    [[ $line =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    [[ $value =~ ^\"(.*)\"$ ]] && value=${BASH_REMATCH[1]}
    export "$key=$value"
  done <"$1"
}

packages=(qrlogin-relay qrlogin qrlogin-app libqrlogin-dev)
for p in "${packages[@]}"; do
  [[ -f $(deb_of "$p") ]] || { echo "no $(deb_of "$p"): run scripts/package" >&2; exit 1; }
done
