#!/usr/bin/env python3
"""Pretends to be a database for examples/lifecycle.conf.

It warms up for two seconds, listens on 127.0.0.1:PORT (the first
argument, 15432 by default), and then tells supervisord it is ready over
the sd_notify protocol: READY=1 and a STATUS= line, then WATCHDOG=1 at
half the period supervisord asks for in $WATCHDOG_USEC. Connections are
accepted and closed at once, which is all a tcp:// health check needs.
Only the standard library is used.
"""

import os
import socket
import sys
import time


def notify(message):
    """Send one sd_notify datagram to $NOTIFY_SOCKET, if there is one.
    A leading '@' names an abstract socket, whose address starts with a
    NUL byte."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    if path.startswith("@"):
        path = "\0" + path[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(message.encode(), path)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 15432
    print("warming up", flush=True)
    notify("STATUS=warming up")
    time.sleep(2)

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(16)
    print("accepting connections on 127.0.0.1:%d" % port, flush=True)
    notify("READY=1\nSTATUS=accepting connections on port %d" % port)

    # Half the watchdog period, so one late wake-up never misses it.
    usec = int(os.environ.get("WATCHDOG_USEC", "0"))
    period = usec / 2e6 if usec > 0 else 5.0
    server.settimeout(period)
    next_ping = time.monotonic()
    while True:
        if usec > 0 and time.monotonic() >= next_ping:
            notify("WATCHDOG=1")
            next_ping = time.monotonic() + period
        try:
            conn, _ = server.accept()
            conn.close()
        except socket.timeout:
            pass


if __name__ == "__main__":
    main()
