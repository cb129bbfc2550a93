#!/usr/bin/python3
"""Writes golden/*.xml: the exact bytes Python's xmlrpc.client.dumps produces.

Run once with /usr/bin/python3 from this directory; the Go tests only read the
output. Each case name must have a matching entry in golden_test.go.
"""
import datetime
import os
import xmlrpc.client as x


def call(method, *params):
    return x.dumps(params, method)


def resp(value):
    return x.dumps((value,), methodresponse=True, allow_none=True)


def fault(code, text):
    return x.dumps(x.Fault(code, text))


def process_info(name, pid):
    # supervisor's getProcessInfo key order
    return {
        "name": name, "group": name, "description": "pid %d, uptime 0:01:02" % pid,
        "start": 1700000000, "stop": 0, "now": 1700000062, "state": 20,
        "statename": "RUNNING", "spawnerr": "", "exitstatus": 0,
        "logfile": "/var/log/%s.log" % name, "stdout_logfile": "/var/log/%s.log" % name,
        "stderr_logfile": "", "pid": pid,
    }


def nested(depth):
    v = "leaf"
    for i in range(depth):
        v = [v, i] if i % 2 else {"k": v, "i": i}
    return v


DOUBLES = [0.0, -0.0, 1.5, 0.1, 100.0, 1e16, 1e15, 9999999999999998.0,
           1.0000000000000002, 1e-05, 0.0001, 123456789.123, 1.7976931348623157e308,
           5e-324, -2.5e-10, 1e22, float("inf"), float("-inf"), float("nan")]

CASES = {
    "call_noparams": call("supervisor.getState"),
    "call_readlog": call("supervisor.readLog", -100, 0),
    "call_startprocess": call("supervisor.startProcess", "grp:proc", True),
    "call_sendstdin": call("supervisor.sendProcessStdin", "cat",
                           "h\u00e9llo \u2603 \U0001F600 & <tag> \"q\" 'a' ]]>\n\ttab"),
    "call_multicall": call("system.multicall", [
        {"methodName": "supervisor.getState", "params": []},
        {"methodName": "supervisor.readLog", "params": [-100, 0]}]),
    "resp_int": resp(42),
    "resp_int_neg": resp(-7),
    "resp_int_max": resp(2**31 - 1),
    "resp_int_min": resp(-2**31),
    "resp_true": resp(True),
    "resp_false": resp(False),
    "resp_string": resp("RUNNING"),
    "resp_string_empty": resp(""),
    "resp_string_unicode": resp("\u65e5\u672c\u8a9e \u00f1 \U0001F600"),
    "resp_string_escape": resp("a & b < c > d \" ' ]]> &amp;"),
    "resp_string_space": resp("  lead\n\ttrail  \n"),
    "resp_doubles": resp(DOUBLES),
    "resp_datetime": resp(datetime.datetime(2024, 1, 2, 3, 4, 5)),
    "resp_datetime_early": resp(datetime.datetime(5, 6, 7, 8, 9, 10)),
    "resp_base64_empty": resp(b""),
    "resp_base64_short": resp(b"\x00\x01\xfe\xff hi"),
    "resp_base64_long": resp(bytes(range(256))),
    "resp_array_empty": resp([]),
    "resp_array_mixed": resp([1, "two", 3.0, True, [], {}]),
    "resp_struct_empty": resp({}),
    "resp_struct_keys": resp({"a&b": 1, "<k>": 2, "": 3, "\u00fc": 4}),
    "resp_process_info": resp(process_info("web", 1234)),
    "resp_all_process_info": resp([process_info("web", 1234), process_info("db", 99)]),
    "resp_nested": resp(nested(12)),
    "resp_nil": resp(None),
    "resp_array_nil": resp([None, 1, None]),
    "fault_unknown_method": fault(1, "UNKNOWN_METHOD"),
    "fault_escape": fault(10, "BAD_NAME: <foo> & bar"),
    "fault_unicode": fault(70, "NOT_RUNNING: \u00fcn\u00ef"),
}

if __name__ == "__main__":
    os.makedirs("golden", exist_ok=True)
    for name, text in CASES.items():
        with open(os.path.join("golden", name + ".xml"), "wb") as f:
            f.write(text.encode("utf-8"))
