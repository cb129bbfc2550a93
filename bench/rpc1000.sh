#!/usr/bin/env bash
# XML-RPC speed of a daemon running N sleep programs: getAllProcessInfo
# latency and getState throughput (bench/rpcload).
#   usage: bench/rpc1000.sh BINARY [N]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1 n=${2:-1000}
dir=$(mktemp -d)
go build -o "$dir/rpcload" ./bench/rpcload
trap 'kill -KILL $pid 2>/dev/null; pkill -KILL -f "sleep 86400" || true; rm -rf "$dir"' EXIT
cat >"$dir/supervisord.conf" <<CONF
[supervisord]
nodaemon=true
logfile=$dir/supervisord.log
pidfile=$dir/supervisord.pid
childlogdir=$dir
minfds=$((n * 6 + 100))
[unix_http_server]
file=$dir/supervisor.sock
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[program:s]
command=/bin/sleep 86400
process_name=%(program_name)s_%(process_num)d
numprocs=$n
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE
CONF
ulimit -n $((n * 6 + 200))
"$bin" -n -c "$dir/supervisord.conf" >/dev/null 2>&1 &
pid=$!
running() { c=$(grep -c 'entered RUNNING' "$dir/supervisord.log" 2>/dev/null || true); echo "${c:-0}"; }
until [ "$(running)" -ge "$n" ]; do sleep 0.05; done
echo "$(basename "$bin") ($bin), $n programs:"
"$dir/rpcload" -socket "$dir/supervisor.sock"
kill -TERM $pid
wait $pid || true
