# An eventlistener written the way Supervisor's users write them (stdlib
# only): it records every event to the file named by argv[1], and answers
# FAIL the first time it sees each serial when argv[2] is "fail-first", or
# exits without answering the first event when it is "die-first".
import os
import sys

out, mode = sys.argv[1], sys.argv[2]
seen_file = out + ".seen"

def seen():
    try:
        with open(seen_file) as f:
            return set(f.read().split())
    except FileNotFoundError:
        return set()

while True:
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    header = sys.stdin.readline()
    tokens = dict(t.split(":", 1) for t in header.split())
    payload = sys.stdin.read(int(tokens["len"]))
    with open(out, "a") as f:
        f.write(header + payload + "\n")
    first = tokens["serial"] not in seen()
    with open(seen_file, "a") as f:
        f.write(tokens["serial"] + "\n")
    if mode == "die-first" and first:
        os._exit(1)
    result = "FAIL" if mode == "fail-first" and first else "OK"
    sys.stdout.write("RESULT %d\n%s" % (len(result), result))
    sys.stdout.flush()
