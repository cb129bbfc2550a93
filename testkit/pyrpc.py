# Helpers for XML-RPC scenarios run by testkit.PyRPC: the scenario's own
# script is appended to this file and run with the daemon's socket path as
# the first argument. Everything is printed in a stable form so two daemons'
# transcripts can be compared line by line:
#
#   > method(args)        the call, as the scenario wrote it
#   <json>                a result, as JSON with sorted struct members;
#                         arrays of structs or arrays get a line per
#                         element, structs of more than four members a line
#                         per member
#   | text                a string result holding newlines, line by line
#   FAULT <code> <string> an xmlrpc Fault
#   ERROR <what>          any other failure (HTTP status, bad response)
#
# A connection failure ends the script (exit status 3): nothing after it
# could work.

import json
import socket
import sys
import time
import xmlrpc.client

try:
    from supervisor.xmlrpc import SupervisorTransport
except ImportError:
    # Without supervisor installed: the same HTTP over a unix socket.
    import http.client

    class _UnixConnection(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(self.socketfile)

    class SupervisorTransport(xmlrpc.client.Transport):
        def __init__(self, username, password, serverurl):
            xmlrpc.client.Transport.__init__(self)
            self.socketfile = serverurl[len('unix://'):]

        def make_connection(self, host):
            conn = _UnixConnection('localhost')
            conn.socketfile = self.socketfile
            return conn

SOCK = sys.argv[1]
socket.setdefaulttimeout(30)


def proxy():
    """A fresh proxy with its own connection, made the way supervisorctl
    makes its own."""
    return xmlrpc.client.ServerProxy(
        'http://127.0.0.1',
        transport=SupervisorTransport(None, None, 'unix://' + SOCK))


s = proxy()


def _default(v):
    if isinstance(v, xmlrpc.client.Binary):
        return {'__base64__': v.data.decode('latin-1')}
    if isinstance(v, xmlrpc.client.DateTime):
        return {'__datetime__': v.value}
    return {'__repr__': repr(v)}


def dumps(v):
    return json.dumps(v, sort_keys=True, default=_default)


def _block(d, indent):
    """A struct with many members, one member per line."""
    print(indent + '{')
    for k in sorted(d):
        print('%s  %s: %s' % (indent, dumps(k), dumps(d[k])))
    print(indent + '}')


def show(v):
    """Print a result in its stable form. Structs of more than four members
    (process and config info) get a line per member, so a diff points at
    the member that differs."""
    if isinstance(v, str) and '\n' in v:
        lines = v.split('\n')
        for line in lines[:-1]:
            print('| ' + line)
        if lines[-1] != '':
            print('| ' + lines[-1])
            print('\\ no newline at end')
        return
    if isinstance(v, dict) and len(v) > 4:
        _block(v, '')
        return
    if isinstance(v, list) and any(isinstance(e, (dict, list)) for e in v):
        print('[')
        for e in v:
            if isinstance(e, dict) and len(e) > 4:
                _block(e, '  ')
            else:
                print('  ' + dumps(e))
        print(']')
        return
    print(dumps(v))


def _repr(a):
    if isinstance(a, xmlrpc.client.Binary):
        return 'Binary(%r)' % (a.data,)
    return repr(a)


def _args(args):
    return ', '.join(_repr(a) for a in args)


def show_sorted(v):
    """show, with an array of status structs sorted by group and name:
    for calls whose result order depends on which processes finished
    stopping or starting first, in the reference as well."""
    if isinstance(v, list):
        v = sorted(v, key=lambda e: (e.get('group', ''), e.get('name', ''))
                   if isinstance(e, dict) else ('', ''))
    show(v)


def show_lines(v):
    """show an array of strings one per line."""
    if isinstance(v, list):
        for e in v:
            print(dumps(e))
        return
    show(v)


def invoke(method, *args):
    """Call method (a dotted name) and return (result, fault); connection
    failures end the script."""
    try:
        return getattr(s, method)(*args), None
    except xmlrpc.client.Fault as f:
        return None, f
    except xmlrpc.client.ProtocolError as e:
        return None, 'ERROR HTTP %s %s' % (e.errcode, e.errmsg)
    except OSError as e:
        print('ERROR connection: %s: %s' % (type(e).__name__, e))
        sys.stdout.flush()
        sys.exit(3)
    except Exception as e:  # a response the client could not parse
        return None, 'ERROR %s: %s' % (type(e).__name__, e)


def fault_text(f):
    if isinstance(f, xmlrpc.client.Fault):
        return 'FAULT %s %s' % (f.faultCode, f.faultString)
    return f


def call(method, *args, quiet=False, render=show):
    """Print the call and its outcome; return the result (None on error)."""
    if not quiet:
        print('> %s(%s)%s' % (method, _args(args),
                              ' :: sorted' if render is show_sorted else ''))
    r, f = invoke(method, *args)
    if f is not None:
        print(fault_text(f))
        return None
    if not quiet:
        render(r)
    return r


def info(name, *fields):
    """Print chosen fields of getProcessInfo(name)."""
    print('> getProcessInfo(%r)%s' % (name, ' .' + ','.join(fields) if fields else ''))
    r, f = invoke('supervisor.getProcessInfo', name)
    if f is not None:
        print(fault_text(f))
        return None
    if fields:
        r = {k: r.get(k, '<missing>') for k in fields}
    show(r)
    return r


def wait_state(name, state, timeout=15):
    """Poll getProcessInfo until name is in state; print the outcome."""
    deadline = time.time() + timeout
    last = None
    while True:
        r, f = invoke('supervisor.getProcessInfo', name)
        if f is not None:
            print('wait %s %s: %s' % (name, state, fault_text(f)))
            return False
        last = r.get('statename')
        if last == state:
            print('wait %s %s: ok' % (name, state))
            return True
        if time.time() > deadline:
            print('wait %s %s: TIMEOUT in %s' % (name, state, last))
            return False
        time.sleep(0.05)


def wait_log(name, text, channel='Stdout', timeout=10):
    """Poll the process's log until it contains text; print the outcome."""
    deadline = time.time() + timeout
    while True:
        r, f = invoke('supervisor.readProcess%sLog' % channel, name, 0, 0)
        if f is not None:
            print('wait log %s %r: %s' % (name, text, fault_text(f)))
            return False
        if text in r:
            print('wait log %s %r: ok' % (name, text))
            return True
        if time.time() > deadline:
            print('wait log %s %r: TIMEOUT, log is %r' % (name, text, r))
            return False
        time.sleep(0.05)


def help_shape(name):
    """Print what methodHelp(name) documents without its prose: the type,
    the @param tags with their types and names, the @return tag's type."""
    print('> system.methodHelp(%r) :: tags' % name)
    r, f = invoke('system.methodHelp', name)
    if f is not None:
        print(fault_text(f))
        return
    tags = []
    for line in r.split('\n'):
        parts = line.strip().split(None, 3)
        if parts and parts[0] == '@param':
            tags.append(' '.join(parts[:3]))
        elif parts and parts[0] == '@return':
            tags.append(' '.join(parts[:2]))
    print('%s, %s, %s' % (type(r).__name__, 'empty' if not r.strip() else 'text', tags))


def states():
    """Print group:name and state of every process, in getAllProcessInfo
    order."""
    print('> getAllProcessInfo() :: states')
    r, f = invoke('supervisor.getAllProcessInfo')
    if f is not None:
        print(fault_text(f))
        return
    for p in r:
        print('%s:%s %s' % (p.get('group'), p.get('name'), p.get('statename')))


def wait_up(timeout=15):
    """After a restart: poll getState on fresh connections until the
    daemon is RUNNING again, then use that connection."""
    global s
    deadline = time.time() + timeout
    last = None
    while True:
        p = proxy()
        try:
            last = p.supervisor.getState().get('statename')
            if last == 'RUNNING':
                s = p
                print('wait up: ok')
                return True
        except xmlrpc.client.Fault as f:
            last = 'FAULT %s %s' % (f.faultCode, f.faultString)
        except (OSError, xmlrpc.client.ProtocolError) as e:
            last = type(e).__name__
        if time.time() > deadline:
            print('wait up: TIMEOUT, last %s' % last)
            return False
        time.sleep(0.1)


def section(title):
    print('# ' + title)

# --- scenario ---
