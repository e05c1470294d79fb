"""The connection the console hands to a domain's VNC server: a loopback TCP pair that is ours alone."""

import socket

from domains.consoles import streams


def test_the_pair_is_one_connection_whose_ends_face_each_other():
    ours, theirs = streams._loopback_pair()
    with ours, theirs:
        assert ours.getpeername() == theirs.getsockname()
        theirs.sendall(b"RFB 003.008\n")
        assert ours.recv(64) == b"RFB 003.008\n"


def test_a_local_process_that_connects_to_the_port_first_is_closed_and_never_gets_the_screen(monkeypatch):
    intruders = []
    real_connect = socket.create_connection

    def intruder_first(address, *args, **kwargs):
        # Another local process finds the listener and connects before the console does.
        intruders.append(real_connect(address, timeout=5))
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(streams.socket, "create_connection", intruder_first)
    ours, theirs = streams._loopback_pair()
    with ours, theirs, intruders[0] as intruder:
        assert theirs.getpeername() == ours.getsockname()
        assert intruder.recv(1) == b""  # its accepted end was closed: nothing will reach it
        theirs.sendall(b"screen")
        assert ours.recv(64) == b"screen"
