"""The frame header console/websocket_frames.py puts in front of a payload, read as RFC 6455 says."""

import struct

import pytest

from console import websocket_frames


@pytest.mark.parametrize("length, length_bytes", [(0, 0), (1, 0), (125, 0), (126, 2), (0xFFFF, 2), (0x10000, 8),
                                                  (1 << 20, 8)])
def test_a_binary_frames_header_says_final_unmasked_binary_and_its_length_in_the_shortest_form(length, length_bytes):
    header = websocket_frames.header(length)
    assert len(header) == 2 + length_bytes <= websocket_frames.HEADER_ROOM
    assert header[0] == 0x80 | 0x2  # FIN, opcode binary, no reserved bits
    assert header[1] & 0x80 == 0  # a server's frames are not masked
    said = header[1] & 0x7F
    if length_bytes == 0:
        assert said == length
    elif length_bytes == 2:
        assert (said, struct.unpack(">H", header[2:])[0]) == (126, length)
    else:
        assert (said, struct.unpack(">Q", header[2:])[0]) == (127, length)
