#!/usr/bin/env bash
# Relay RSS per idle WebSocket connection: starts qrlogin-relay on loopback,
# opens TOTAL idle connections (receivers waiting alone, one channel each)
# from PROCS client processes spread over 127.0.0.2.., reads VmRSS, prints
#   metric idle.rss_per_connection qrlogin <KiB> KiB
# and stops everything. Bounded: clients hold for HOLD seconds, then exit.
#
#   tests/bench/idle/idle_rss.sh [BUILD_DIR] [TOTAL] [PROCS]
#
# TLS=1 measures wss connections instead (a certificate from
# scripts/make-cert in a temporary directory).
set -euo pipefail
build=${1:-build/release}
total=${2:-10000}
procs=${3:-2}
hold=20
relay_bin=$build/relay/qrlogin-relay
clients_bin=$build/tests/integration/idle_bench/relay_idle_clients
[[ -x $relay_bin && -x $clients_bin ]] || { echo "build $relay_bin and $clients_bin first" >&2; exit 2; }

log=$(mktemp)
certs=$(mktemp -d)
trap 'kill $relay_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$log" "$certs"' EXIT
tls_flags=()
ca=""
if [[ ${TLS:-0} == 1 ]]; then
  "$(dirname "$0")/../../../scripts/make-cert" --out "$certs" >/dev/null
  tls_flags=(--tls-cert "$certs/relay-cert.pem" --tls-key "$certs/relay-key.pem")
  ca=$certs/ca.pem
fi
# The bench profile lifts the per-address caps; channels and the global rate
# are raised so that TOTAL receivers can wait at once.
"$relay_bin" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --profile bench --log-level warn \
  --max-channels $((total + 100)) --global-channel-rate 100000 --global-channel-burst 100000 \
  "${tls_flags[@]}" >"$log" &
relay_pid=$!
for _ in $(seq 50); do grep -q '"listening"' "$log" && break; sleep 0.1; done
port=$(grep -o '"port":[0-9]*' "$log" | head -1 | cut -d: -f2)
rss() { awk '/^VmRSS:/ {print $2}' /proc/$relay_pid/status; }
before=$(rss)

per=$((total / procs))
pids=()
outs=()
for i in $(seq 1 "$procs"); do
  out=$(mktemp)
  outs+=("$out")
  "$clients_bin" "$port" "$per" "127.0.0.$((i + 1))" "$hold" $ca >"$out" &
  pids+=($!)
done
# Wait until every client process holds its connections.
for _ in $(seq 600); do
  ready=$(cat "${outs[@]}" | grep -c holding || true)
  [[ $ready -eq $procs ]] && break
  sleep 0.1
done
sleep 1
after=$(rss)
held=$(cat "${outs[@]}" | grep -o '"connections":[0-9]*' | cut -d: -f2 | awk '{s += $1} END {print s}')
metrics_port=$(grep -o '"metrics_port":[0-9]*' "$log" | head -1 | cut -d: -f2)
channels=$(curl -s "http://127.0.0.1:$metrics_port/metrics" | awk '$1 == "qrlogin_relay_channels" {print $2}')
echo "relay RSS before: $before KiB, with $held idle connections ($channels channels): $after KiB"
metric=idle.rss_per_connection
[[ -n $ca ]] && metric+=_tls
echo "metric $metric qrlogin $(awk -v a="$after" -v b="$before" -v n="$held" 'BEGIN {printf "%.2f", (a - b) / n}') KiB"
for p in "${pids[@]}"; do wait "$p" || true; done
rm -f "${outs[@]}"
