"""The libvirt admin API binding: tune a running libvirt daemon through libvirt-admin.so.0, from a worker process."""
