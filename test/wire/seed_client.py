#!/usr/bin/env python3
"""A Parley client in Python, written literally from the customer's seed document
(shared/seed/websocket-api.ru.md), with Debian's python3-socketio (5.x, Socket.IO 4).

The seed's listener is

    socket.on('new_message', (message) => { ... })

so the handlers here take exactly ONE argument, as anyone porting the seed would write them. If the
server sends an event with more arguments than that (Socket.IO connection-state recovery appends an
offset to every broadcast), python-socketio calls the handler with two arguments, the call raises
TypeError and the event is lost. Depending on the python-socketio version that TypeError is either
logged by the 'socketio' / 'engineio' loggers or (5.7, Debian bookworm: events are dispatched on
threads of their own) left uncaught in the dispatching thread; both are captured and reported as
`errors`. Nothing here catches the TypeError itself.

Usage:
    seed_client.py URL TOKEN CHAT_ID NEW_MESSAGES [--timeout S] [--expect EVENT=N ...]

Connects (websocket transport, `auth={'token': TOKEN}`), calls join_chat, prints `READY`, then
collects events until it has NEW_MESSAGES `new_message` events (and every --expect count) or until
--timeout seconds have passed, and prints ONE JSON line:

    {"joined": <join_chat answer>, "received": [{"event": name, "data": the one argument}, ...],
     "errors": ["<logger>: <level>: <text>", ...], "timedOut": bool}

Exits 0 whenever it got that far; 1 (still printing the JSON line, with `fatal`) when it could not
connect or join.
"""

import argparse
import json
import logging
import sys
import threading
import time
import traceback

import socketio


class CapturingHandler(logging.Handler):
    """Keeps every warning and error the socketio / engineio loggers emit, with exception text."""

    def __init__(self, sink):
        super().__init__(level=logging.WARNING)
        self.sink = sink

    def emit(self, record):
        text = f'{record.name}: {record.levelname}: {record.getMessage()}'
        if record.exc_info and record.exc_info[1] is not None:
            text += ' -- ' + ''.join(traceback.format_exception_only(record.exc_info[0], record.exc_info[1])).strip()
        self.sink.append(text)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('url')
    parser.add_argument('token')
    parser.add_argument('chat_id')
    parser.add_argument('new_messages', type=int, help='stop once this many new_message events arrived')
    parser.add_argument('--timeout', type=float, default=5.0, help='seconds to collect at most (default 5)')
    parser.add_argument('--expect', action='append', default=[], metavar='EVENT=N',
                        help='also wait for N events of EVENT before stopping early')
    return parser.parse_args()


def main():
    args = parse_args()
    expected = {'new_message': args.new_messages}
    for item in args.expect:
        name, _, count = item.partition('=')
        expected[name] = int(count or '1')

    errors = []
    capture = CapturingHandler(errors)
    for name in ('socketio', 'engineio'):
        logger = logging.getLogger(name)
        logger.addHandler(capture)

    # python-socketio 5.7 (Debian bookworm) dispatches each incoming event on a thread of its own
    # and does NOT log what a handler raises there: the TypeError of a handler called with too many
    # arguments ends that thread and reaches threading.excepthook. Report it too (and still print
    # the usual traceback to stderr).
    default_excepthook = threading.excepthook

    def capture_thread_exception(hook_args):
        text = ''.join(traceback.format_exception_only(hook_args.exc_type, hook_args.exc_value)).strip()
        thread = hook_args.thread.name if hook_args.thread is not None else '?'
        errors.append(f'uncaught in thread {thread}: {text}')
        default_excepthook(hook_args)

    threading.excepthook = capture_thread_exception

    received = []
    lock = threading.Lock()
    changed = threading.Condition(lock)

    def record(event, data):
        with changed:
            received.append({'event': event, 'data': data})
            changed.notify_all()

    def done():
        counts = {}
        for item in received:
            counts[item['event']] = counts.get(item['event'], 0) + 1
        return all(counts.get(event, 0) >= n for event, n in expected.items())

    sio = socketio.Client(reconnection=False)

    # The seed's listener, one parameter:  socket.on('new_message', (message) => { ... })
    @sio.on('new_message')
    def on_new_message(message):
        record('new_message', message)

    # The contract's events beyond the seed, written the same way.
    @sio.on('message_updated')
    def on_message_updated(message):
        record('message_updated', message)

    @sio.on('message_deleted')
    def on_message_deleted(message):
        record('message_deleted', message)

    result = {'joined': None, 'received': received, 'errors': errors, 'timedOut': False}

    def finish(code):
        try:
            if sio.connected:
                sio.disconnect()
        except Exception as error:  # reported, not hidden: a disconnect problem is not the test's subject
            errors.append(f'disconnect: {error!r}')
        with lock:
            snapshot = dict(result, received=list(received), errors=list(errors))
        line = json.dumps(snapshot, ensure_ascii=False)
        sys.stdout.write(line + '\n')
        sys.stdout.flush()
        sys.exit(code)

    try:
        sio.connect(args.url, auth={'token': args.token}, transports=['websocket'], wait_timeout=5)
        result['joined'] = sio.call('join_chat', {'chatId': args.chat_id}, timeout=5)
    except Exception as error:
        result['fatal'] = ''.join(traceback.format_exception_only(type(error), error)).strip()
        finish(1)

    if not (isinstance(result['joined'], dict) and result['joined'].get('success') is True):
        result['fatal'] = 'join_chat did not succeed'
        finish(1)

    sys.stdout.write('READY\n')
    sys.stdout.flush()

    deadline = time.monotonic() + args.timeout
    with changed:
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                result['timedOut'] = True
                break
            changed.wait(left)

    finish(0)


if __name__ == '__main__':
    main()
