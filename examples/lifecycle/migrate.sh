#!/bin/sh
# Pretends to migrate the database of examples/lifecycle.conf: it proves
# the database answers on 127.0.0.1:PORT (the first argument, 15432 by
# default), says so, and exits 0, which is what depends_on=migrate:completed_ok
# waits for.
set -e
port=${1:-15432}
python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5).close()' "$port"
echo "schema is up to date"
echo "migrated"
