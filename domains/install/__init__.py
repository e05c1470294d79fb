"""Installing an operating system: OS variants, install sources, cloud-init seeds, removable media."""
