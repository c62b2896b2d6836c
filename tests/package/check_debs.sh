#!/usr/bin/env bash
# What dpkg-deb says about each package: its control fields (name, version,
# Depends from dpkg-shlibdeps, conffiles, maintainer scripts) and its files
# (expected ones present, test-only ones absent, root:root, modes).
#   check_debs.sh build/package VERSION
set -uo pipefail
source "$(dirname "$0")/lib.sh" "$@"

field() { dpkg-deb -f "$(deb_of "$1")" "$2"; }
contents() { dpkg-deb -c "$(deb_of "$1")"; }

# mode path: the file must be in the package with exactly this mode.
expect_file() {
  local package=$1 mode=$2 path=$3 line
  line=$(contents "$package" | awk -v p="./$path" '$6 == p')
  if [[ -z $line ]]; then fail "$package: no /$path"; return; fi
  [[ ${line%% *} == "$mode" ]] && pass "$package: /$path $mode" || fail "$package: /$path is ${line%% *}, not $mode"
}
expect_no_file() {
  local package=$1 pattern=$2
  local found
  found=$(contents "$package" | awk '{print $6}' | grep -E "$pattern")
  [[ -z $found ]] && pass "$package: nothing matches $pattern" || fail "$package: ships $found"
}
expect_depends() {
  local package=$1 dep=$2
  [[ ", $(field "$package" Depends)," == *", $dep"[\ ,]* ]] && pass "$package depends on $dep" ||
    fail "$package: Depends ($(field "$package" Depends)) lacks $dep"
}

for p in "${packages[@]}"; do
  [[ $(field "$p" Package) == "$p" ]] && pass "$p: Package" || fail "$p: Package is $(field "$p" Package)"
  [[ $(field "$p" Version) == "$version-1" ]] && pass "$p: Version $version-1" || fail "$p: Version is $(field "$p" Version)"
  [[ -n $(field "$p" Description) ]] || fail "$p: no Description"
  # Every file and directory owned by root:root.
  others=$(contents "$p" | awk '$2 != "root/root" {print $2, $6}')
  [[ -z $others ]] && pass "$p: everything root:root" || fail "$p: not root:root: $others"
  # Directories 0755, no file writable by group or others, no setuid.
  bad=$(contents "$p" | awk '($1 ~ /^d/ && $1 != "drwxr-xr-x") || $1 ~ /^-....w/ || $1 ~ /^-.......w/ || $1 ~ /s/ {print $1, $6}')
  [[ -z $bad ]] && pass "$p: modes" || fail "$p: unexpected modes: $bad"
  expect_file "$p" -rw-r--r-- "usr/share/doc/$p/copyright"
  expect_file "$p" -rw-r--r-- "usr/share/doc/$p/changelog.Debian.gz"
done

# The programs, their units and environment files.
for p in qrlogin-relay qrlogin qrlogin-app; do
  expect_file "$p" -rwxr-xr-x "usr/bin/$p"
  expect_depends "$p" libc6
  expect_depends "$p" libsodium23
done
expect_depends qrlogin-relay libssl3
expect_depends qrlogin-relay libhiredis0.14
expect_depends qrlogin-app libsqlite3-0
for kind in relay app; do
  p=qrlogin-$kind
  expect_depends "$p" adduser
  expect_file "$p" -rw-r--r-- "lib/systemd/system/$p.service"
  expect_file "$p" -rw-r--r-- "etc/qrlogin/$kind.env"
  conffiles=$(dpkg-deb --ctrl-tarfile "$(deb_of "$p")" | tar -xO ./conffiles 2>/dev/null)
  [[ $conffiles == "/etc/qrlogin/$kind.env" ]] && pass "$p: conffiles" || fail "$p: conffiles is '$conffiles'"
  scripts=$(dpkg-deb --ctrl-tarfile "$(deb_of "$p")" | tar -tv)
  for s in postinst prerm postrm; do
    grep -qE "^-rwxr-xr-x root/root .* \./$s\$" <<<"$scripts" && pass "$p: $s 0755" || fail "$p: no executable $s"
  done
  # (continuation lines joined)
  dpkg-deb --ctrl-tarfile "$(deb_of "$p")" | tar -xO ./postinst | sed -e ':a' -e '/\\$/{N;s/\\\n[[:space:]]*/ /;ba}' |
    grep -qE "adduser --system --group .* $p\$" &&
    pass "$p: postinst creates the system user $p" || fail "$p: postinst does not create the user $p"
done
expect_no_file qrlogin "^\./(etc|lib)/"

# The C++ package: static libraries, the public headers only, CMake and
# pkg-config files; nothing test-only.
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
dev=libqrlogin-dev
expect_depends $dev libsodium-dev
expect_depends $dev libssl-dev
expect_depends $dev nlohmann-json3-dev
for lib in qrlogin_crypto qrlogin_pairing; do expect_file $dev -rw-r--r-- "usr/lib/$multiarch/lib$lib.a"; done
for f in qrloginConfig.cmake qrloginConfigVersion.cmake qrloginTargets.cmake; do
  expect_file $dev -rw-r--r-- "usr/lib/$multiarch/cmake/qrlogin/$f"
done
expect_file $dev -rw-r--r-- "usr/lib/$multiarch/pkgconfig/qrlogin.pc"
for h in crypto/hpke.hpp crypto/random.hpp crypto/x25519.hpp crypto/pairing/constants.hpp crypto/pairing/credential.hpp \
         crypto/pairing/link.hpp crypto/pairing/receiver.hpp crypto/pairing/sender.hpp; do
  expect_file $dev -rw-r--r-- "usr/include/qrlogin/$h"
done
expect_no_file $dev "testing|scripted_rng|internal\.hpp|frames\.hpp|strict_json|\.cpp$|relay|cli_|app"
expect_no_file $dev "^\./usr/include/[^q]"

# No installed header includes one that is not installed.
mkdir -p "$scratch/dev"
dpkg-deb -x "$(deb_of $dev)" "$scratch/dev"
include=$scratch/dev/usr/include/qrlogin
missing=""
while read -r header; do
  while read -r inc; do
    [[ -f $include/$inc ]] || missing+=" ${header#"$include"/} -> $inc"
  done < <(sed -n 's/^#include "\(.*\)"$/\1/p' "$header")
done < <(find "$include" -name '*.hpp')
[[ -z $missing ]] && pass "$dev: every header's own includes are installed" || fail "$dev: includes not installed:$missing"

finish
