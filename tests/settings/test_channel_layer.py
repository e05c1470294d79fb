"""The channel layer on Redis keeps a socket that waits longer than redis-py's default read timeout (5 s)."""

import asyncio

import pytest
from channels.layers import InMemoryChannelLayer, get_channel_layer

# Past redis-py 8's default socket_timeout and channels_redis's 5 s blocking read: the idle time is what is tested.
IDLE_SECONDS = 6.5


@pytest.mark.production_shape
async def test_a_receive_idle_past_the_default_read_timeout_still_gets_its_message():
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        pytest.skip("the in-memory layer reads no socket (scripts/test-production-shape.sh runs this on Redis)")
    channel = await layer.new_channel()
    receiving = asyncio.ensure_future(layer.receive(channel))

    await asyncio.sleep(IDLE_SECONDS)
    assert not receiving.done(), receiving.exception()
    await layer.send(channel, {"type": "still.there"})

    assert (await asyncio.wait_for(receiving, 5))["type"] == "still.there"
