"""Domain templates: administrators' ready-made creates (OS, sizes, image, networks, cloud-init) used in one click."""
