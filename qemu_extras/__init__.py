"""QEMU-only extras: monitor, guest agent and command-line passthrough, taints, paths back to the core."""
