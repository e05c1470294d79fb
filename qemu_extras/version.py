"""Versions of the QEMU extras interfaces, separate from the stable core's (see POLICY.md)."""

# Bumped on every change of /api/qemu/v1 or of the websocket subprotocol:
# the minor number when something is added, the major number when something
# is removed or changes meaning (POLICY.md says how removals are announced).
EXTRAS_API_VERSION = "1.0"

# The REST namespace and the websocket subprotocol carry only the major number,
# so a client written for 1.x keeps working until a removal makes it 2.
EXTRAS_API_PREFIX = "/api/qemu/v1/"
EXTRAS_WS_SUBPROTOCOL = "virtconsole.qemu.v1"
