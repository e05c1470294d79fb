"""The cluster's bus: a message every process hears exactly once (libvirt events, job changes, socket endings).

Each process joins one channel-layer group with one channel of its own, so a
broadcast costs one channel-layer message per process, whatever the number of
sockets; each process then hands it to its own listeners (the sockets' fan-out
among them). On the in-memory layer there is one process, and a broadcast is
handed to the listeners at once, in the caller's thread.

Over Redis, broadcasts leave in the order they were made (one sender), and
each process reads its channel in order (one receiver), both on libvirt's
event loop (the server's loop under Daphne). A receiver that loses Redis joins
the group again once Redis answers: a restarted Redis has forgotten it. What
was broadcast meanwhile is lost, so the process's "gap" listeners are told
(the events sockets close, and their pages reconnect and read afresh).
"""

import asyncio
import logging
import threading
import uuid

from channels.layers import DEFAULT_CHANNEL_LAYER, InMemoryChannelLayer, channel_layers

from domains.libvirt import events as libvirt_events

log = logging.getLogger(__name__)

GROUP = "vc.cluster"
CHANNEL_PREFIX = "vc-cluster"
# Joined again this often: channels_redis forgets a member after its group_expiry, and a restarted Redis
# forgets it at once, maybe without the receiver's read failing; this bounds how long a process is deaf then.
REJOIN_SECONDS = 5
RECONNECT_SECONDS = 0.5
SEND_ATTEMPTS = 20  # about 10 s of a Redis away before a message is given up

# Names this process in the messages it sends: a process tells its own broadcasts from others'.
PROCESS = uuid.uuid4().hex

_listeners = {}  # kind -> [listener(payload, origin)]
_state_lock = threading.Lock()
_layer = None  # this process's own layer instance: tests replace the default one per test
_outbox = None  # asyncio.Queue on the bus loop, None until started
_loop = None


def on(kind, listener):
    """listener(payload, origin) hears every broadcast of kind in the cluster (origin: the sending process).

    Kind "gap" is this process's own: its listeners hear, once the bus works again, that messages may have
    been lost while Redis was away.
    """
    listeners = _listeners.setdefault(kind, [])
    if listener not in listeners:
        listeners.append(listener)
    return listener


def broadcast(kind, payload):
    """Hand payload to the listeners of kind in every process of the cluster, this one included.

    Thread-safe and never blocks: over Redis the message is queued for the bus's sender.
    """
    layer = _layer_of_this_process()
    if isinstance(layer, InMemoryChannelLayer) or layer is None:
        _dispatch(kind, payload, PROCESS)
        return
    message = {"type": "cluster.message", "kind": kind, "payload": payload, "origin": PROCESS}
    loop = start()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        _outbox.put_nowait(message)
    else:
        loop.call_soon_threadsafe(_outbox.put_nowait, message)


def is_shared():
    """Whether other processes may hear this one (a channel layer that reaches beyond the process)."""
    layer = _layer_of_this_process()
    return layer is not None and not isinstance(layer, InMemoryChannelLayer)


def start():
    """Start this process's receiver and sender on libvirt's event loop (once); returns that loop."""
    global _loop, _outbox
    with _state_lock:
        if _loop is not None:
            return _loop
        loop = libvirt_events.ensure_event_loop()
        if not is_shared():
            _loop = loop
            return loop
        # The outbox exists before the tasks run: a broadcast made on the loop right after this start (a socket
        # opening) queues its message for the sender to come.
        _outbox = asyncio.Queue()
        outbox = _outbox

        def begin():
            loop.create_task(_send_forever(outbox))
            loop.create_task(_receive_forever())

        loop.call_soon_threadsafe(begin)
        _loop = loop
        return loop


def _layer_of_this_process():
    global _layer
    if _layer is None:
        try:
            _layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        except KeyError:
            return None
    return _layer


def _dispatch(kind, payload, origin):
    for listener in list(_listeners.get(kind, ())):
        try:
            listener(payload, origin)
        except Exception:  # one broken listener must not keep the message from the others
            log.exception("bus listener %r failed on a %s message", listener, kind)


async def _send_forever(outbox):
    layer = _layer_of_this_process()
    while True:
        message = await outbox.get()
        for attempt in range(SEND_ATTEMPTS):
            try:
                await layer.group_send(GROUP, message)
                break
            except Exception as exc:
                # The first send after a Redis restart fails on the pool's dead connection; a Redis away for
                # longer holds the messages after this one in order, until it answers or this one is given up.
                if attempt == SEND_ATTEMPTS - 1:
                    log.warning("the cluster bus gave up a %s message: %s", message["kind"], exc)
                else:
                    await asyncio.sleep(0 if attempt == 0 else RECONNECT_SECONDS)


async def _receive_forever():
    layer = _layer_of_this_process()
    channel = await layer.new_channel(CHANNEL_PREFIX)
    await _join(layer, channel)
    await _note_restart(layer)
    asyncio.get_running_loop().create_task(_watch_redis(layer, channel))
    while True:
        try:
            message = await layer.receive(channel)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("the cluster bus lost the channel layer (%s); joining again", exc)
            await asyncio.sleep(RECONNECT_SECONDS)
            await _join(layer, channel)
            await _note_restart(layer)
            _dispatch("gap", {"reason": str(exc)}, PROCESS)
            continue
        _dispatch(message["kind"], message["payload"], message["origin"])


async def _join(layer, channel):
    """Join the group, retrying until Redis answers."""
    while True:
        try:
            await layer.group_add(GROUP, channel)
            return
        except Exception as exc:
            log.warning("the cluster bus cannot join its group yet: %s", exc)
            await asyncio.sleep(RECONNECT_SECONDS)


_redis_run_id = None  # the Redis server's run id when last seen: a new one means Redis restarted


async def _note_restart(layer):
    """Whether Redis restarted since last seen (its run id, new at each start, changed); remember the new one."""
    global _redis_run_id
    try:
        info = await layer.connection(layer.consistent_hash(GROUP)).info("server")
    except Exception:  # away: the next look tells
        return False
    seen, _redis_run_id = _redis_run_id, info.get("run_id")
    return seen is not None and seen != _redis_run_id


async def _watch_redis(layer, channel):
    """Join again every REJOIN_SECONDS; a Redis that restarted without the receiver noticing lost our messages."""
    while True:
        await asyncio.sleep(REJOIN_SECONDS)
        await _join(layer, channel)
        if await _note_restart(layer):
            log.warning("Redis restarted: the cluster bus joined again; messages sent meanwhile were lost")
            _dispatch("gap", {"reason": "Redis restarted"}, PROCESS)
