"""Volumes of a pool: create, resize, wipe, clone, delete, who uses them; the ISO library."""
