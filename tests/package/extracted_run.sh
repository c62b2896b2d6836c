#!/usr/bin/env bash
# The packages extracted (dpkg-deb -x) into a scratch root: the programs run
# (--version prints the project's version, --help), the environment files
# list every flag --help does, and the relay, started with the shipped
# relay.env as systemd would load it, serves /healthz on a loopback port.
#   extracted_run.sh build/package VERSION
set -uo pipefail
source "$(dirname "$0")/lib.sh" "$@"

root=$scratch/root
for p in qrlogin-relay qrlogin qrlogin-app; do dpkg-deb -x "$(deb_of "$p")" "$root"; done
bin=$root/usr/bin

for program in qrlogin-relay qrlogin qrlogin-app; do
  out=$("$bin/$program" --version 2>&1)
  [[ $? -eq 0 && $out == "$program $version"* ]] && pass "$program --version: $out" ||
    fail "$program --version printed '$out', not '$program $version ...'"
  help=$("$bin/$program" --help 2>&1)
  [[ $? -eq 0 && ( $help == *Usage* || $help == *usage* ) ]] && pass "$program --help" || fail "$program --help: $help"
done

# relay.env: one line per variable the relay's --help names.
relay_env=$root/etc/qrlogin/relay.env
variables=$("$bin/qrlogin-relay" --help | sed -n 's/^ *env \(QRLOGIN_RELAY_[A-Z0-9_]*\),.*/\1/p')
[[ $(wc -l <<<"$variables") -ge 10 ]] || fail "qrlogin-relay --help names only $(wc -l <<<"$variables") variables"
for v in $variables; do
  grep -qE "^#?$v=" "$relay_env" || fail "relay.env lacks $v"
done
extra=$(sed -n 's/^#\?\(QRLOGIN_RELAY_[A-Z0-9_]*\)=.*/\1/p' "$relay_env" | sort -u | grep -vxF -f <(echo "$variables"))
[[ -z $extra ]] || fail "relay.env names variables the relay does not read: $extra"
pass "relay.env: all $(wc -l <<<"$variables") variables of qrlogin-relay --help"

# app.env: every flag of the application's --help, and QRLOGIN_APP_ARGS.
app_env=$root/etc/qrlogin/app.env
flags=$("$bin/qrlogin-app" --help | sed -n 's/^  \(--[a-z0-9-]*\).*/\1/p' | grep -vxE -- '--(help|version)')
for f in $flags; do grep -qE "^# $f( |$)" "$app_env" || fail "app.env lacks $f"; done
grep -q '^QRLOGIN_APP_ARGS=' "$app_env" || fail "app.env sets no QRLOGIN_APP_ARGS"
pass "app.env: all $(wc -l <<<"$flags") flags of qrlogin-app --help"

# The port a program logged as listening on in LOG (its JSON "listening"
# line), waiting up to 10 s; empty when it does not come or PID exits.
listening_port() {
  local log=$1 pid=$2 port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.*"event":"listening".*"port":\([0-9]*\).*/\1/p' "$log" | head -n1)
    [[ -n $port ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$port"
}

# The relay with relay.env's settings (as systemd loads them), on a free
# loopback port.
log=$scratch/relay.log
(
  load_env_file "$relay_env"
  exec "$bin/qrlogin-relay" --listen 127.0.0.1:0 --metrics-listen off --max-connections 1000
) >"$log" 2>&1 &
relay_pid=$!
port=$(listening_port "$log" $relay_pid)
if [[ -z $port ]]; then
  fail "the extracted relay did not listen: $(cat "$log")"
else
  body=$(curl -sS --max-time 5 -w ' %{http_code}' "http://127.0.0.1:$port/healthz")
  [[ $body == *'"ok"'*' 200' ]] && pass "the extracted relay serves /healthz on 127.0.0.1:$port: $body" ||
    fail "/healthz answered: $body"
  # What `systemctl reload` does (ExecReload): without TLS the relay goes on.
  kill -HUP $relay_pid
  sleep 0.3
  body=$(curl -sS --max-time 5 -w ' %{http_code}' "http://127.0.0.1:$port/healthz")
  kill -0 $relay_pid 2>/dev/null && [[ $body == *' 200' ]] && pass "after SIGHUP (a reload) the relay still serves" ||
    fail "SIGHUP ended the relay without TLS: $(tail -n3 "$log")"
fi
kill $relay_pid 2>/dev/null
wait $relay_pid 2>/dev/null

# The application with app.env's arguments and a scratch state directory.
log=$scratch/app.log
(
  load_env_file "$app_env"
  # shellcheck disable=SC2086  # split at spaces, as systemd does
  exec "$bin/qrlogin-app" --state-dir "$scratch/state" $QRLOGIN_APP_ARGS --listen 127.0.0.1:0
) >"$log" 2>&1 &
app_pid=$!
port=$(listening_port "$log" $app_pid)
if [[ -z $port ]]; then
  fail "the extracted application did not listen: $(cat "$log")"
else
  code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
  [[ $code == 200 ]] && pass "the extracted application serves its page on 127.0.0.1:$port" || fail "/ answered $code"
fi
kill $app_pid 2>/dev/null
wait $app_pid 2>/dev/null

finish
