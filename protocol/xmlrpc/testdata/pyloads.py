#!/usr/bin/python3
"""Reads a JSON list of XML-RPC documents on stdin and prints, as JSON, what
Python's xmlrpc.client.loads makes of each and, for calls, what Supervisor's
own request parser makes of it. Values are tagged so Go can rebuild them."""
import base64
import datetime
import json
import sys

import xmlrpc.client
from supervisor.xmlrpc import supervisor_xmlrpc_handler


def tag(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return {"bool": v}
    if isinstance(v, int):
        return {"int": str(v)}
    if isinstance(v, float):
        return {"float": v.hex()}
    if isinstance(v, str):
        return {"str": v}
    if isinstance(v, bytes):
        return {"bytes": base64.b64encode(v).decode()}
    if isinstance(v, datetime.datetime):
        return {"time": v.isoformat()}
    if isinstance(v, (list, tuple)):
        return {"array": [tag(e) for e in v]}
    if isinstance(v, dict):
        return {"struct": {k: tag(e) for k, e in v.items()}}
    raise TypeError(type(v))


def load(doc):
    out = {}
    try:
        params, method = xmlrpc.client.loads(doc, use_builtin_types=True)
        out["client"] = {"method": method, "params": tag(params)}
    except xmlrpc.client.Fault as f:
        out["client"] = {"fault": [f.faultCode, f.faultString]}
    except Exception as e:
        out["client"] = {"error": repr(e)}
    if doc.startswith("<?xml version='1.0'?>\n<methodCall>"):
        handler = supervisor_xmlrpc_handler.__new__(supervisor_xmlrpc_handler)
        try:
            params, method = handler.loads(doc)
            out["server"] = {"method": method, "params": tag(params)}
        except Exception as e:
            out["server"] = {"error": repr(e)}
    return out


json.dump([load(doc) for doc in json.load(sys.stdin)], sys.stdout)
