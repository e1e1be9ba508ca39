# Shared by run_load.sh and idle_memory.sh (sourced, not run): starts a topology of real `ternd`
# brokers on 127.0.0.1 with free ports in a temporary directory and tears it down on exit.
#
# After start_topology BROKERS PARTITIONS RF [embedded|embedded-all|standalone]:
#   GATEWAY_ADDR  host:port of the gateway: embedded in broker 0, or a standalone `ternd gateway`
#                 with every broker's command port as a contact point; with embedded-all, every
#                 broker's embedded gateway, comma-separated (broker 0's first)
#   REST_ADDR     host:port of its REST port
#   BROKER_PIDS   the brokers' process ids, by node id
#   WORK_DIR      configuration, data and logs
# With more than one broker, each partition is then led by its preferred leader (balance_leaders).

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO_DIR/build/release}
TERND=$BUILD_DIR/bin/ternd
BROKER_PIDS=()  # the standalone gateway, when there is one, is the last entry
MONITORING_PORTS=()  # the brokers' monitoring ports, by node id
WORK_DIR=""

# Free TCP ports on 127.0.0.1, distinct, as the kernel hands them out.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks, ports = [], set()
while len(ports) < int(sys.argv[1]):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
    ports.add(s.getsockname()[1])
print(" ".join(map(str, sorted(ports))))
PY
}

# run_ternd broker|gateway CONFIG LOG: starts one ternd in the background.
run_ternd() {
  # Only this script's configuration: TERN_* variables of the caller would override it.
  env $(env | grep -o '^TERN_[A-Z_]*' | sed 's/^/-u /') \
    "$TERND" "$1" --config "$2" >"$3" 2>&1 &
  BROKER_PIDS+=($!)
}

stop_topology() {
  local pid
  for pid in "${BROKER_PIDS[@]:-}"; do
    [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${BROKER_PIDS[@]:-}"; do
    [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true
  done
  BROKER_PIDS=()
  if [[ -n "$WORK_DIR" && -z "${KEEP_WORK_DIR:-}" ]]; then rm -rf "$WORK_DIR"; fi
}

start_topology() {
  local brokers=$1 partitions=$2 rf=$3 gateway_mode=${4:-embedded}
  [[ -x "$TERND" ]] || { echo "no ternd at $TERND (build it, or set BUILD_DIR)" >&2; exit 1; }
  WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tern-load.XXXXXX")
  trap stop_topology EXIT
  local ports
  read -r -a ports <<<"$(free_ports $((brokers * 5 + 3)))"
  local node other
  # Several brokers on this machine share its cores: one partition thread each (the default two
  # per broker would put six partition threads on two cores, and every hand-off among them
  # waits for a core). PARTITION_THREADS overrides it.
  local partition_threads=${PARTITION_THREADS:-$((brokers > 1 ? 1 : 2))}
  for ((node = 0; node < brokers; node++)); do
    local at=$((node * 5)) contacts="" gateway=false
    for ((other = 0; other < brokers; other++)); do
      [[ $other == "$node" ]] && continue
      contacts+="${contacts:+, }\"127.0.0.1:${ports[$((other * 5 + 1))]}\""
    done
    [[ $node == 0 && $gateway_mode == embedded ]] && gateway=true
    [[ $gateway_mode == embedded-all ]] && gateway=true
    cat >"$WORK_DIR/broker-$node.yaml" <<YAML
cluster:
  node-id: $node
  size: $brokers
  partitions: $partitions
  replication-factor: $rf
  contact-points: [$contacts]
network:
  host: 127.0.0.1
  command-port: ${ports[$at]}
  cluster-port: ${ports[$((at + 1))]}
  monitoring-port: ${ports[$((at + 2))]}
gateway:
  enabled: $gateway
  port: ${ports[$((at + 3))]}
  rest-port: ${ports[$((at + 4))]}
data:
  directory: $WORK_DIR/data-$node
threads:
  partition-threads: $partition_threads
logging:
  level: ${TERN_LOAD_LOG_LEVEL:-warn}
YAML
    run_ternd broker "$WORK_DIR/broker-$node.yaml" "$WORK_DIR/broker-$node.log"
    MONITORING_PORTS+=("${ports[$((at + 2))]}")
  done
  GATEWAY_ADDR=127.0.0.1:${ports[3]}
  REST_ADDR=127.0.0.1:${ports[4]}
  if [[ $gateway_mode == embedded-all ]]; then
    for ((node = 1; node < brokers; node++)); do
      GATEWAY_ADDR+=",127.0.0.1:${ports[$((node * 5 + 3))]}"
    done
  fi
  if [[ $gateway_mode == standalone ]]; then
    local at=$((brokers * 5)) contacts=""
    for ((other = 0; other < brokers; other++)); do
      contacts+="${contacts:+, }\"127.0.0.1:${ports[$((other * 5))]}\""
    done
    cat >"$WORK_DIR/gateway.yaml" <<YAML
cluster:
  contact-points: [$contacts]
network:
  host: 127.0.0.1
  monitoring-port: ${ports[$at]}
gateway:
  port: ${ports[$((at + 1))]}
  rest-port: ${ports[$((at + 2))]}
logging:
  level: ${TERN_LOAD_LOG_LEVEL:-warn}
YAML
    run_ternd gateway "$WORK_DIR/gateway.yaml" "$WORK_DIR/gateway.log"
    GATEWAY_ADDR=127.0.0.1:${ports[$((at + 1))]}
    REST_ADDR=127.0.0.1:${ports[$((at + 2))]}
  fi
  # Ready when the gateway's topology shows a leader for every partition.
  local deadline=$((SECONDS + 60)) leaders=0
  while ((SECONDS < deadline)); do
    leaders=$(curl -sf "http://$REST_ADDR/v2/topology" 2>/dev/null \
      | jq '[.brokers[].partitions[] | select(.role == "leader")] | length' 2>/dev/null || echo 0)
    if [[ "$leaders" == "$partitions" ]]; then
      ((brokers > 1)) && balance_leaders "$brokers"
      return 0
    fi
    sleep 0.2
  done
  echo "topology not ready after 60 s ($leaders of $partitions leaders); logs in $WORK_DIR" >&2
  KEEP_WORK_DIR=1
  exit 1
}

# "p1=b0 p2=b1 ...": each partition's leader, as the gateway's topology shows it.
leader_placement() {
  curl -sf "http://$REST_ADDR/v2/topology" 2>/dev/null | jq -r '[.brokers[] | .nodeId as $b
    | .partitions[] | select(.role == "leader") | {p: .partitionId, b: $b}] | sort_by(.p)
    | map("p\(.p)=b\(.b)") | join(" ")' 2>/dev/null || true
}

# Elections place leaders by timing, so two partitions may end up led by one broker, which then
# does the work of two leaders while another idles: numbers would differ from run to run by
# placement. Each partition's preferred leader (the first broker of its replica set) is asked to
# lead, as an operator would with `POST /actuator/rebalance`, for up to 15 s.
balance_leaders() {
  local brokers=$1 deadline=$((SECONDS + 15)) placement expected="" p
  while ((SECONDS < deadline)); do
    placement=$(leader_placement)
    expected=$(for ((p = 1; p <= $(wc -w <<<"$placement"); p++)); do
      printf 'p%d=b%d ' "$p" $(((p - 1) % brokers)); done)
    [[ "$placement " == "$expected" ]] && return 0
    for port in "${MONITORING_PORTS[@]}"; do
      curl -sf -X POST "http://127.0.0.1:$port/actuator/rebalance" >/dev/null 2>&1 || true
    done
    sleep 1
  done
  echo "leaders not balanced after 15 s: $placement" >&2
}

# Resident set size of a process in MiB (VmRSS).
rss_mib() {
  awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# User + system CPU seconds a process has used.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"
}
