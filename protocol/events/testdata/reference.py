#!/usr/bin/python3
"""Oracle for package events, driven by the reference Supervisor 4.2.5.

    /usr/bin/python3 testdata/reference.py goldens   # rewrites testdata/*.json
    /usr/bin/python3 testdata/reference.py oracle    # JSON cases on stdin

It builds events with supervisor.events' own classes, envelopes with
EventListenerPool._eventEnvelope, and feeds listener output to a real
PEventListenerDispatcher wired to stand-in process objects, recording its
state changes, log lines and rejections. Bytes travel through JSON as
strings whose code points are the byte values (latin-1).
"""
import json
import os
import sys

from supervisor import events
from supervisor.dispatchers import PEventListenerDispatcher, default_handler
from supervisor.process import EventListenerPool
from supervisor.states import (EventListenerStates, ProcessStates,
                               getEventListenerStateDescription)

HERE = os.path.dirname(os.path.abspath(__file__))


def b2s(b):
    return b.decode('latin-1')


def s2b(s):
    return s.encode('latin-1')


class Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def fake_process(name, group, pid=0, backoff=0):
    proc = Obj(config=Obj(name=name), pid=pid, backoff=backoff)
    proc.group = None if group is None else Obj(config=Obj(name=group))
    return proc


STATE_CODES = {n: getattr(ProcessStates, n) for n in
               ('STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING',
                'EXITED', 'FATAL', 'UNKNOWN')}


def build(spec):
    """spec -> (event instance, event class)"""
    kind = spec['kind']
    cls = getattr(events.EventTypes, kind)
    if kind.startswith('PROCESS_STATE_'):
        proc = fake_process(spec['process'], spec.get('group'),
                            spec.get('pid', 0), spec.get('tries', 0))
        ev = cls(proc, STATE_CODES[spec['from']], spec.get('expected', True))
    elif kind.startswith('PROCESS_LOG_') or kind.startswith('PROCESS_COMMUNICATION_'):
        proc = fake_process(spec['process'], spec.get('group'))
        ev = cls(proc, spec['pid'], s2b(spec['data']))
    elif kind == 'REMOTE_COMMUNICATION':
        ev = cls(spec['type'], spec['data'])
    elif kind.startswith('SUPERVISOR_STATE_CHANGE_'):
        ev = cls()
    elif kind.startswith('TICK_'):
        ev = cls(spec['when'], None)
    elif kind.startswith('PROCESS_GROUP_'):
        ev = cls(spec['group'])
    else:
        raise ValueError(kind)
    return ev, cls


def envelope(ev, cls, server, serial, pool, poolserial):
    pool_self = Obj(config=Obj(name=pool, options=Obj(identifier=server)))
    env = EventListenerPool._eventEnvelope(pool_self, cls, serial, poolserial,
                                           ev.payload())
    return env.encode('utf-8')


# ---- listener output -----------------------------------------------------

class Recorder:
    def __init__(self):
        self.logs = []

    def _add(self, level):
        def log(msg, **kw):
            self.logs.append([level, msg % kw if kw else msg])
        return log

    def __getattr__(self, level):
        if level in ('trace', 'blather', 'debug', 'info', 'warn', 'error',
                     'critical'):
            return self._add(level)
        raise AttributeError(level)


def run_case(steps, procname='lst'):
    """steps: list of {"feed": latin1} | {"send": true}. Returns per-step
    records of state, logs, rejections and uncaught errors."""
    rec = Recorder()
    chunks = []
    options = Obj(logger=rec, strip_ansi=False,
                  readfd=lambda fd: chunks.pop(0))
    config = Obj(name=procname, options=options, stdout_logfile=None)
    proc = Obj(config=config, group=Obj(config=Obj(result_handler=default_handler)),
               pid=123, event=None, listener_state=None)
    disp = PEventListenerDispatcher(proc, 'stdout', 5)
    rejected = []

    def on_reject(ev):
        rejected.append(ev.event)
    events.clear()
    events.subscribe(events.EventRejectedEvent, on_reject)
    sentinel = object()
    out = []
    output_prefix = '%r stdout output:\n' % procname
    limit = sys.getrecursionlimit()
    for step in steps:
        rec.logs = []
        del rejected[:]
        err = None
        if 'send' in step:
            if proc.listener_state == EventListenerStates.READY:
                proc.listener_state = EventListenerStates.BUSY
                proc.event = sentinel
        else:
            if disp.closed:
                pass  # the reference no longer reads a closed channel
            else:
                chunks.append(s2b(step['feed']))
                try:
                    disp.handle_read_event()
                except RecursionError as e:
                    err = 'RecursionError'
                    disp.close()  # what supervisord's handle_error does
                except Exception as e:  # pragma: no cover
                    err = type(e).__name__
                    disp.close()
        out.append({
            'state': getEventListenerStateDescription(proc.listener_state),
            'logs': [l for l in rec.logs if not l[1].startswith(output_prefix)
                     and not l[1].startswith('fd 5 closed')],
            'rejected': sum(1 for r in rejected if r is sentinel),
            'error': err,
            'event': proc.event is sentinel,
        })
    events.clear()
    return out


# Hand-picked listener transcripts; the Go tests replay them chunk by chunk.
LISTENER_CASES = {
    'ready': [{'feed': 'READY\n'}],
    'ready split': [{'feed': 'REA'}, {'feed': 'DY'}, {'feed': '\n'}],
    'short junk waits': [{'feed': 'XYZ'}],
    'junk': [{'feed': 'HELLO!'}],
    'ready lowercase': [{'feed': 'ready\n'}],
    'ready crlf': [{'feed': 'READY\r\n'}],
    'ready then junk same chunk': [{'feed': 'READY\nX'}],
    'ready then junk later': [{'feed': 'READY\n'}, {'feed': 'X'}],
    'double ready': [{'feed': 'READY\nREADY\n'}],
    'ok cycle': [{'feed': 'READY\n'}, {'send': True}, {'feed': 'RESULT 2\nOK'},
                 {'feed': 'READY\n'}],
    'ok cycle one chunk': [{'feed': 'READY\n'}, {'send': True},
                           {'feed': 'RESULT 2\nOKREADY\n'}],
    'fail': [{'feed': 'READY\n'}, {'send': True}, {'feed': 'RESULT 4\nFAIL'}],
    'other body': [{'feed': 'READY\n'}, {'send': True}, {'feed': 'RESULT 5\nMAYBE'}],
    'ok lowercase': [{'feed': 'READY\n'}, {'send': True}, {'feed': 'RESULT 2\nok'}],
    'ok with newline counted': [{'feed': 'READY\n'}, {'send': True},
                                {'feed': 'RESULT 3\nOK\n'}],
    'ok then stray newline': [{'feed': 'READY\n'}, {'send': True},
                              {'feed': 'RESULT 2\nOK\n'}],
    'result split everywhere': [{'feed': 'READY\n'}, {'send': True},
                                {'feed': 'RES'}, {'feed': 'ULT '}, {'feed': '2'},
                                {'feed': '\n'}, {'feed': 'O'}, {'feed': 'K'}],
    'result body in pieces': [{'feed': 'READY\n'}, {'send': True},
                              {'feed': 'RESULT 10\n0123'}, {'feed': '4567'},
                              {'feed': '89READY\n'}],
    'bad result line': [{'feed': 'READY\n'}, {'send': True}, {'feed': 'RESULT x\n'}],
    'bad result line short': [{'feed': 'READY\n'}, {'send': True}, {'feed': 'OK\n'}],
    'bad result undecodable': [{'feed': 'READY\n'}, {'send': True},
                               {'feed': 'RESULT \xff\xfe\n'}],
    'bad result utf8': [{'feed': 'READY\n'}, {'send': True},
                        {'feed': 'RESULT \xc3\xa9\n'}],
    'result prefix unchecked': [{'feed': 'READY\n'}, {'send': True},
                                {'feed': 'XXXXXXX2\nOK'}],
    'result spaces': [{'feed': 'READY\n'}, {'send': True},
                      {'feed': 'RESULT  2 \t\r\nOK'}],
    'result plus sign': [{'feed': 'READY\n'}, {'send': True}, {'feed': 'RESULT +2\nOK'}],
    'result underscore': [{'feed': 'READY\n'}, {'send': True},
                          {'feed': 'RESULT 0_2\nOK'}],
    'result double underscore': [{'feed': 'READY\n'}, {'send': True},
                                 {'feed': 'RESULT 0__2\nOK'}],
    'result leading zeros': [{'feed': 'READY\n'}, {'send': True},
                             {'feed': 'RESULT 002\nOK'}],
    'result arabic digit': [{'feed': 'READY\n'}, {'send': True},
                            {'feed': 'RESULT \xd9\xa2\nOK'}],
    'result nul': [{'feed': 'READY\n'}, {'send': True}, {'feed': 'RESULT 2\x00\nOK'}],
    'result vertical tab': [{'feed': 'READY\n'}, {'send': True},
                            {'feed': 'RESULT \x0b2\x0c\nOK'}],
    'result fs char': [{'feed': 'READY\n'}, {'send': True}, {'feed': 'RESULT \x1c2\nOK'}],
    'result nbsp': [{'feed': 'READY\n'}, {'send': True}, {'feed': 'RESULT \xa02\nOK'}],
    'result zero alone waits': [{'feed': 'READY\n'}, {'send': True},
                                {'feed': 'RESULT 0\n'}, {'feed': 'READY\n'}],
    'result zero then data': [{'feed': 'READY\n'}, {'send': True},
                              {'feed': 'RESULT 0\nREADY\n'}],
    'result minus zero': [{'feed': 'READY\n'}, {'send': True},
                          {'feed': 'RESULT -0\nREADY\n'}],
    'result negative alone': [{'feed': 'READY\n'}, {'send': True},
                              {'feed': 'RESULT -1\n'}],
    'result negative then data': [{'feed': 'READY\n'}, {'send': True},
                                  {'feed': 'RESULT -1\n'}, {'feed': 'OK'},
                                  {'feed': 'READY\n'}],
    'result negative same chunk': [{'feed': 'READY\n'}, {'send': True},
                                   {'feed': 'RESULT -3\nOK'}],
    'result huge': [{'feed': 'READY\n'}, {'send': True},
                    {'feed': 'RESULT 99999999999999999999999\nOK'}],
    'no newline waits': [{'feed': 'READY\n'}, {'send': True},
                         {'feed': 'RESULT 2'}],
    'data while ready before send': [{'feed': 'READY\n'}, {'feed': 'RESULT 2\nOK'}],
    'unknown swallows': [{'feed': 'JUNK!!\n'}, {'feed': 'READY\n'}, {'send': True}],
    'send while acknowledged ignored': [{'send': True}, {'feed': 'READY\n'}],
    'empty result line': [{'feed': 'READY\n'}, {'send': True}, {'feed': '\n'}],
    'crlf result': [{'feed': 'READY\n'}, {'send': True},
                    {'feed': 'RESULT 2\r\nOK'}],
    'two cycles': [{'feed': 'READY\n'}, {'send': True}, {'feed': 'RESULT 2\nOK'},
                   {'feed': 'READY\n'}, {'send': True},
                   {'feed': 'RESULT 4\nFAILREADY\n'}],
}


# ---- payloads -------------------------------------------------------------

PAYLOAD_CASES = [
    {'kind': 'PROCESS_STATE_STARTING', 'process': 'cat', 'group': 'cat',
     'from': 'STOPPED', 'tries': 0, 'pid': 0},
    {'kind': 'PROCESS_STATE_STARTING', 'process': 'cat', 'group': 'grp',
     'from': 'BACKOFF', 'tries': 2, 'pid': 77},
    {'kind': 'PROCESS_STATE_RUNNING', 'process': 'cat', 'group': 'cat',
     'from': 'STARTING', 'pid': 2766},
    {'kind': 'PROCESS_STATE_BACKOFF', 'process': 'cat', 'group': 'cat',
     'from': 'STARTING', 'tries': 1, 'pid': 0},
    {'kind': 'PROCESS_STATE_STOPPING', 'process': 'cat', 'group': 'cat',
     'from': 'RUNNING', 'pid': 2766},
    {'kind': 'PROCESS_STATE_EXITED', 'process': 'cat', 'group': 'cat',
     'from': 'RUNNING', 'expected': False, 'pid': 2766},
    {'kind': 'PROCESS_STATE_EXITED', 'process': 'cat', 'group': 'cat',
     'from': 'STARTING', 'expected': True, 'pid': 9},
    {'kind': 'PROCESS_STATE_STOPPED', 'process': 'cat', 'group': 'cat',
     'from': 'STOPPING', 'pid': 2766},
    {'kind': 'PROCESS_STATE_FATAL', 'process': 'cat', 'group': 'cat',
     'from': 'BACKOFF', 'pid': 0},
    {'kind': 'PROCESS_STATE_UNKNOWN', 'process': 'cat', 'group': 'cat',
     'from': 'RUNNING', 'pid': 5},
    {'kind': 'PROCESS_STATE_RUNNING', 'process': 'solo', 'group': None,
     'from': 'STARTING', 'pid': 1},
    {'kind': 'PROCESS_STATE_RUNNING', 'process': 'caf\u00e9', 'group': 'gr\u00fcppe',
     'from': 'STARTING', 'pid': 42},
    {'kind': 'PROCESS_LOG_STDOUT', 'process': 'foo', 'group': 'bar', 'pid': 123,
     'data': 'hello\n'},
    {'kind': 'PROCESS_LOG_STDERR', 'process': 'foo', 'group': 'bar', 'pid': 123,
     'data': 'oops'},
    {'kind': 'PROCESS_LOG_STDOUT', 'process': 'foo', 'group': None, 'pid': 1,
     'data': ''},
    {'kind': 'PROCESS_LOG_STDOUT', 'process': 'foo', 'group': 'bar', 'pid': 123,
     'data': 'h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\n'},
    {'kind': 'PROCESS_LOG_STDOUT', 'process': 'foo', 'group': 'bar', 'pid': 123,
     'data': 'bad \xff\xfe byte \' " \\ \t\r\n\x00\x7f\x80'},
    {'kind': 'PROCESS_LOG_STDERR', 'process': 'foo', 'group': 'bar', 'pid': 123,
     'data': 'quote \' only \xc3'},
    {'kind': 'PROCESS_LOG_STDERR', 'process': 'foo', 'group': 'bar', 'pid': 123,
     'data': 'both \' and " \xed\xa0\x80'},
    {'kind': 'PROCESS_COMMUNICATION_STDOUT', 'process': 'foo', 'group': 'bar',
     'pid': 123, 'data': 'This is the data that was sent between the tags'},
    {'kind': 'PROCESS_COMMUNICATION_STDERR', 'process': 'foo', 'group': 'bar',
     'pid': 123, 'data': '<x>\n\xc3\xa9</x>'},
    {'kind': 'PROCESS_COMMUNICATION_STDOUT', 'process': 'foo', 'group': None,
     'pid': 123, 'data': '\xc0\xaf'},
    {'kind': 'REMOTE_COMMUNICATION', 'type': 'mytype', 'data': 'some data'},
    {'kind': 'REMOTE_COMMUNICATION', 'type': '', 'data': ''},
    {'kind': 'REMOTE_COMMUNICATION', 'type': 't y', 'data': 'line1\nline2\n\u00e9'},
    {'kind': 'SUPERVISOR_STATE_CHANGE_RUNNING'},
    {'kind': 'SUPERVISOR_STATE_CHANGE_STOPPING'},
    {'kind': 'TICK_5', 'when': 1201063880},
    {'kind': 'TICK_60', 'when': 1201063860},
    {'kind': 'TICK_3600', 'when': 1201060800},
    {'kind': 'PROCESS_GROUP_ADDED', 'group': 'cat'},
    {'kind': 'PROCESS_GROUP_REMOVED', 'group': 'dog'},
]


def payload_goldens():
    out = []
    serial = 20
    for spec in PAYLOAD_CASES:
        serial += 1
        ev, cls = build(spec)
        env = envelope(ev, cls, 'supervisor', serial, 'listener', serial - 11)
        out.append({'spec': spec, 'serial': serial, 'poolserial': serial - 11,
                    'payload': ev.payload(), 'envelope': b2s(env)})
    return out


def hierarchy_goldens():
    names = [n for n in vars(events.EventTypes) if n.isupper()]
    return {a: sorted(b for b in names if issubclass(
        getattr(events.EventTypes, a), getattr(events.EventTypes, b)))
        for a in names}


def goldens():
    data = {
        'payloads': payload_goldens(),
        'hierarchy': hierarchy_goldens(),
        'listener': {name: {'steps': steps, 'results': run_case(steps)}
                     for name, steps in LISTENER_CASES.items()},
    }
    with open(os.path.join(HERE, 'reference.json'), 'w') as f:
        json.dump(data, f, indent=1, sort_keys=True, ensure_ascii=True)
        f.write('\n')


def oracle():
    """stdin: {"listener": [steps...], "payloads": [spec...]}"""
    req = json.load(sys.stdin)
    resp = {
        'listener': [run_case(steps) for steps in req.get('listener', [])],
        'payloads': [],
    }
    for spec in req.get('payloads', []):
        ev, cls = build(spec)
        resp['payloads'].append({
            'payload': ev.payload(),
            'envelope': b2s(envelope(ev, cls, spec.get('server', 'supervisor'),
                                     spec.get('serial', 0), spec.get('pool', 'p'),
                                     spec.get('poolserial', 0)))})
    json.dump(resp, sys.stdout, ensure_ascii=True)


if __name__ == '__main__':
    {'goldens': goldens, 'oracle': oracle}[sys.argv[1]]()
