#!/usr/bin/env bash
# Seconds, CPU and peak RSS for a daemon to get N `sleep` programs RUNNING
# (numprocs=N, startsecs=0).   usage: bench/spawn1000.sh BINARY [N]
# LOGS=auto keeps the default AUTO child logs (2 files per program).
set -euo pipefail
bin=$1 n=${2:-1000}
dir=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'kill -KILL $pid 2>/dev/null; pkill -KILL -f "sleep 86400" || true; rm -rf "$dir"' EXIT
cat >"$dir/supervisord.conf" <<CONF
[supervisord]
nodaemon=true
logfile=$dir/supervisord.log
pidfile=$dir/supervisord.pid
childlogdir=$dir
minfds=$((n * 6 + 100))
[program:s]
command=/bin/sleep 86400
process_name=%(program_name)s_%(process_num)d
numprocs=$n
startsecs=0
CONF
if [ "${LOGS:-none}" != auto ]; then
  printf 'stdout_logfile=NONE\nstderr_logfile=NONE\n' >>"$dir/supervisord.conf"
fi
ulimit -n $((n * 6 + 200))
start=$(date +%s.%N)
"$bin" -n -c "$dir/supervisord.conf" >/dev/null 2>&1 &
pid=$!
running() { c=$(grep -c 'entered RUNNING' "$dir/supervisord.log" 2>/dev/null || true); echo "${c:-0}"; }
until [ "$(running)" -ge "$n" ]; do sleep 0.02; done
end=$(date +%s.%N)
read -r ut st < <(awk '{print $14, $15}' /proc/$pid/stat)
tck=$(getconf CLK_TCK)
hwm=$(awk '/VmHWM/{print $2}' /proc/$pid/status)
rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
printf '%s: %d RUNNING in %.2f s, %.2f CPU-s, peak RSS %d MB, RSS now %d MB\n' \
  "$(basename "$bin")" "$n" "$(echo "$end - $start" | bc)" "$(echo "($ut + $st) / $tck" | bc -l)" $((hwm / 1024)) $((rss / 1024))
kill -TERM $pid
wait $pid || true
