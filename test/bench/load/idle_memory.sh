#!/usr/bin/env bash
# Measures the resident memory (RSS) of idle brokers: starts a topology on 127.0.0.1 (free ports,
# a temporary directory), waits until every partition has a leader, lets it sit idle, and prints
# each broker's RSS and the CPU time it used while idle. Tears down on exit.
#
#   test/bench/load/idle_memory.sh [--brokers n] [--partitions n] [--replication-factor r]
#                                  [--idle-s s]
# Defaults: 1 broker with 8 partitions (8 replicas), 30 s idle. "8 replicas on each of 3
# brokers": --brokers 3 --partitions 8 --replication-factor 3.

source "$(dirname "${BASH_SOURCE[0]}")/topology.sh"

brokers=1 partitions=8 rf="" idle_s=30
while (($#)); do
  case "$1" in
    --brokers) brokers=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --replication-factor) rf=$2; shift 2 ;;
    --idle-s) idle_s=$2; shift 2 ;;
    *) echo "unknown argument '$1'" >&2; exit 2 ;;
  esac
done
rf=${rf:-$brokers}

# One broker embeds its gateway (as a single node does by default); several get a standalone one,
# which sees every broker's partitions (and whose memory is not counted here).
gateway_mode=embedded
((brokers > 1)) && gateway_mode=standalone
start_topology "$brokers" "$partitions" "$rf" "$gateway_mode"
cpu_before=()
for pid in "${BROKER_PIDS[@]}"; do cpu_before+=("$(cpu_seconds "$pid")"); done
echo "idle_memory: $brokers broker(s), $partitions partition(s), replication factor $rf; all led;" \
  "idle for ${idle_s}s"
sleep "$idle_s"  # the measurement itself: how the brokers sit when nothing happens
for ((i = 0; i < brokers; i++)); do
  pid=${BROKER_PIDS[$i]}
  replicas=$(find "$WORK_DIR/data-$i" -maxdepth 1 -name 'partition-*' -type d | wc -l)
  threads=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")
  echo "idle_memory: broker $i replicas=$replicas rss=$(rss_mib "$pid")MiB" \
    "peak=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")MiB" \
    "threads=$threads idle-cpu=$(awk -v a="$(cpu_seconds "$pid")" -v b="${cpu_before[$i]}" \
      'BEGIN { printf "%.2f", a - b }')s"
done
