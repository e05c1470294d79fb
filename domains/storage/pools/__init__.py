"""Storage pools: define, build, start, stop, refresh, delete; their XML, capabilities, events."""
