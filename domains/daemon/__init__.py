"""Managing the libvirt daemon itself: its admin API binding and the desired daemon settings."""
