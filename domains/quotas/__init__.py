"""Quotas: how many domains, vCPUs, MiB of memory and bytes of disk a user may own."""
