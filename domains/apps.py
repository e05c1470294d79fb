"""Django app of the generic core: hosts, domains, definitions, access, daemon, consoles, the libvirt adapter, API v1."""

from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "domains"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Importing a module attaches nothing: every listener, receiver and
        # exit hook of the core is attached here, once per process.
        from domains.access import logins, permissions
        from domains.access import models as access_models
        from domains.cluster import events as cluster_events
        from domains.daemon import actions as daemon_actions
        from domains.definitions import events as definition_events
        from domains.interfaces import removals as interface_removals
        from domains.jobs import heartbeat as job_heartbeat
        from domains.libvirt import adapter, relay
        from domains.lifecycle import inventory
        from domains.networks import events as network_events
        from domains.storage.pools import events as storage_events

        adapter.install()
        inventory.install()  # lifecycle events keep Domain rows in step
        definition_events.install()  # DEFINED events become external revisions
        storage_events.install()  # pool events keep Pool rows in step and reach the sockets
        network_events.install()  # network events keep Network rows in step and reach the sockets
        relay.install()  # the other domain events reach the hub too
        cluster_events.install()  # the leader of each host sends its events to every process, once
        interface_removals.install()  # DEVICE_REMOVED settles a pending interface removal
        daemon_actions.install()  # keepers hold each daemon on its desired settings
        logins.install()
        job_heartbeat.install()  # the first job started here starts the heartbeat of this process's jobs
        access_models.install()
        permissions.connect_cache_invalidation(access_models.Grant, access_models.Role)
