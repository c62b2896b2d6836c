#!/usr/bin/env bash
# systemd-analyze verify accepts the packaged units, with the packages
# extracted into a scratch root (so ExecStart= names a real program).
#   verify_units.sh build/package VERSION
set -uo pipefail
source "$(dirname "$0")/lib.sh" "$@"

if ! command -v systemd-analyze >/dev/null; then
  echo "SKIPPED: systemd-analyze is not installed (Debian package systemd)"
  exit 0
fi
# The root: the two packages, this machine's units (the targets ours name)
# and /bin/kill (ExecReload); verify checks that every command exists
# under it. Copies, since symlinks would be followed inside the root.
root=$scratch/root
for p in qrlogin-relay qrlogin-app; do dpkg-deb -x "$(deb_of "$p")" "$root"; done
cp -rn /lib/systemd/system/. "$root/lib/systemd/system/" 2>/dev/null
cp /bin/kill "$root/usr/bin/kill"
ln -s usr/bin "$root/bin"
for p in qrlogin-relay qrlogin-app; do
  unit=$root/lib/systemd/system/$p.service
  # --man=no: the man pages are checked by their own tests, and are not
  # installed on this machine. An unknown or misspelt setting is only a
  # message, so any output fails the test.
  if out=$(systemd-analyze verify --man=no --root="$root" "$unit" 2>&1) && [[ -z $out ]]; then
    pass "systemd-analyze verify $p.service"
  else
    fail "systemd-analyze verify $p.service: $out"
  fi
  for setting in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
                 CapabilityBoundingSet= RestrictAddressFamilies= SystemCallFilter=@system-service \
                 MemoryDenyWriteExecute=yes User=$p; do
    grep -q "^$setting" "$unit" || fail "$p.service lacks $setting"
  done
done
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$root/lib/systemd/system/qrlogin-relay.service" ||
  fail "qrlogin-relay.service: no ExecReload sending SIGHUP"
grep -q '^StateDirectory=qrlogin-app$' "$root/lib/systemd/system/qrlogin-app.service" ||
  fail "qrlogin-app.service: no StateDirectory"
# LimitNOFILE holds the relay's default --max-connections plus its 64 reserved files.
max=$("$root/usr/bin/qrlogin-relay" --help | sed -n '/^  --max-connections N/,/default/ s/.*default \([0-9]*\)$/\1/p' | head -n1)
limit=$(sed -n 's/^LimitNOFILE=//p' "$root/lib/systemd/system/qrlogin-relay.service")
[[ -n $max && -n $limit ]] && ((limit >= max + 64)) && pass "LimitNOFILE=$limit holds --max-connections $max + 64" ||
  fail "LimitNOFILE=$limit does not hold --max-connections ${max:-?} + 64"
finish
