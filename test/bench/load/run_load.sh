#!/usr/bin/env bash
# Starts a Tern topology on 127.0.0.1 (free ports, a temporary directory), runs tern_load against
# the gateway embedded in broker 0, prints each broker's CPU time and memory, and tears down.
#
#   test/bench/load/run_load.sh [--brokers 1|3] [--partitions n] [--replication-factor r]
#                               [--standalone-gateway|--embedded-gateway|--all-embedded-gateways]
#                               [tern_load arguments...]
# Defaults: 1 broker, 1 partition per broker, replication factor = brokers. With more than one
# broker the gateway is a standalone `ternd gateway` subscribed to every broker (the usual
# deployment, and it keeps the gateway's CPU apart from the brokers'); --embedded-gateway uses
# broker 0's instead; --all-embedded-gateways every broker's, with tern_load spreading its
# creations and workers over them as a load-balancing Service would.
# Example: test/bench/load/run_load.sh --brokers 3 --partitions 3 --rate 1000 --duration-s 60
# BUILD_DIR (default build/release) names the build; KEEP_WORK_DIR=1 keeps data and logs.

source "$(dirname "${BASH_SOURCE[0]}")/topology.sh"

brokers=1 partitions="" rf="" gateway_mode=""
load_args=()
while (($#)); do
  case "$1" in
    --brokers) brokers=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --replication-factor) rf=$2; shift 2 ;;
    --standalone-gateway) gateway_mode=standalone; shift ;;
    --embedded-gateway) gateway_mode=embedded; shift ;;
    --all-embedded-gateways) gateway_mode=embedded-all; shift ;;
    *) load_args+=("$1"); shift ;;
  esac
done
partitions=${partitions:-$brokers}
rf=${rf:-$brokers}
if [[ -z "$gateway_mode" ]]; then
  gateway_mode=embedded
  ((brokers > 1)) && gateway_mode=standalone
fi
TERN_LOAD=$BUILD_DIR/bin/tern_load
[[ -x "$TERN_LOAD" ]] || { echo "no tern_load at $TERN_LOAD (build the tern_load target)" >&2; exit 1; }

start_topology "$brokers" "$partitions" "$rf" "$gateway_mode"
echo "run_load: $brokers broker(s), $partitions partition(s), replication factor $rf;" \
  "$gateway_mode gateway $GATEWAY_ADDR; leaders $(leader_placement)"
cpu_before=()
for pid in "${BROKER_PIDS[@]}"; do cpu_before+=("$(cpu_seconds "$pid")"); done
status=0
"$TERN_LOAD" --gateway "$GATEWAY_ADDR" "${load_args[@]}" || status=$?
for i in "${!BROKER_PIDS[@]}"; do
  pid=${BROKER_PIDS[$i]}
  name="broker $i"
  ((i == brokers)) && name="gateway"
  echo "run_load: $name cpu=$(awk -v a="$(cpu_seconds "$pid")" -v b="${cpu_before[$i]}" \
    'BEGIN { printf "%.1f", a - b }')s rss=$(rss_mib "$pid")MiB"
done
exit $status
