# shellcheck shell=bash
# Sourced by the results scripts: start servers in the background, wait
# until they answer, stop them all (also on exit: the caller sets the trap).
pids=()

# wait_up HTTP_PORT: until /healthz answers (10 s at most, else exit 1).
wait_up() {
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return
    sleep 0.1
  done
  echo "server on $1 did not start" >&2
  exit 1
}

# start_node BINARY HTTP_PORT [FLAGS...]
start_node() {
  local bin=$1 port=$2
  shift 2
  "$bin" --port "$port" --log-level warn "$@" &
  pids+=($!)
  wait_up "$port"
}

stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
