#!/usr/bin/env bash
# Events per second delivered to one listener (bench/eventsink): N
# REMOTE_COMMUNICATION events are queued in system.multicall batches while
# the listener waits, then it takes them all.
#   usage: bench/events.sh BINARY [N]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1 n=${2:-10000}
dir=$(mktemp -d)
go build -o "$dir/eventsink" ./bench/eventsink
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$dir"' EXIT
cat >"$dir/supervisord.conf" <<CONF
[supervisord]
nodaemon=true
logfile=$dir/supervisord.log
pidfile=$dir/supervisord.pid
childlogdir=$dir
[unix_http_server]
file=$dir/supervisor.sock
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[eventlistener:sink]
command=$dir/eventsink -n $n -out $dir/rate -wait $dir/go
events=REMOTE_COMMUNICATION
buffer_size=$((n + 10))
startsecs=0
CONF
"$bin" -n -c "$dir/supervisord.conf" >/dev/null 2>&1 &
pid=$!
until grep -q "success: sink entered RUNNING" "$dir/supervisord.log" 2>/dev/null; do sleep 0.05; done
/usr/bin/python3 - "$dir/supervisor.sock" "$n" <<'PY'
import sys, xmlrpc.client
from supervisor.xmlrpc import SupervisorTransport
proxy = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=SupervisorTransport(None, None, "unix://" + sys.argv[1]))
n = int(sys.argv[2])
for start in range(0, n, 500):
    calls = [{"methodName": "supervisor.sendRemoteCommEvent", "params": ["bench", str(i)]} for i in range(start, min(n, start + 500))]
    proxy.system.multicall(calls)
PY
touch "$dir/go"
for _ in $(seq 600); do [ -s "$dir/rate" ] && break; sleep 0.1; done
echo "$(basename "$bin") ($bin): $(cat "$dir/rate" 2>/dev/null || echo 'no result')"
kill -TERM $pid
wait $pid || true
