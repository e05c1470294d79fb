"""A volume's content in and out through libvirt streams: upload and download."""
