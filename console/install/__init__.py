"""Pages of installing an OS: the one create flow."""
