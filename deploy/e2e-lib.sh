# Sourced by the deploy/e2e-*.sh scripts (after `set -euo pipefail` and `cd`
# to the repository root): a temporary directory $tmp, removed on exit with
# every background process whose pid is added to pids; free_ports N prints N
# free loopback ports.
tmp=$(mktemp -d)
pids=()
e2e_cleanup() {
  for p in "${pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; fi
  done
  rm -rf "$tmp"
}
trap e2e_cleanup EXIT
free_ports() {
  python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])
for s in ss: s.close()' "$1"
}
