"""Prepare an install before its server starts: an admin account, the embedded host and demo guest (`make run`)."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from domains.hosts.actions import HostError, do_add_host
from domains.hosts.embedded import ensure_demo_domain, ensure_embedded_host
from domains.hosts.models import Host
from domains.jobs.heartbeat import mark_stale_jobs_interrupted
from domains.libvirt.adapter import VirtError, connection_for

SYSTEM_HOST_NAME = "system"
SYSTEM_HOST_URI = "qemu:///system"


class Command(BaseCommand):
    help = ("Make sure an admin account exists; create the embedded host and define the demo guest on it "
            "(unless --no-embedded-host); add the local libvirtd with --add-system-host.")

    def add_arguments(self, parser):
        parser.add_argument("--admin", default=os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin"))
        # Several processes (`manage.py cluster`) cannot share an embedded driver: it belongs to the one
        # process that opened its root, and each process would open it.
        parser.add_argument("--no-embedded-host", action="store_true",
                            help="Create no embedded host and no demo guest (for several processes).")
        parser.add_argument("--add-system-host", action="store_true",
                            help=f"Add the local libvirtd ({SYSTEM_HOST_URI}) as host '{SYSTEM_HOST_NAME}' "
                                 "unless a host has that URI already.")

    def handle(self, *args, admin, no_embedded_host, add_system_host, **options):
        if not no_embedded_host:
            self._ensure_embedded_host()
        user = self._ensure_admin(admin)
        if add_system_host:
            self._ensure_system_host(user)
        # The server starts next: jobs its previous run left running will never end on their own.
        interrupted = mark_stale_jobs_interrupted()
        if interrupted:
            self.stdout.write(f"Marked {interrupted} job(s) of a stopped server process interrupted.")

    def _ensure_embedded_host(self):
        host = ensure_embedded_host()
        self.stdout.write(f"Embedded host: {host.uri}")
        try:
            dom = ensure_demo_domain(host)
            self.stdout.write(f"Demo domain: {dom.name()} ({dom.UUIDString()})")
        except VirtError as exc:
            self.stderr.write(f"Could not define the demo domain: {exc.message}")
            raise SystemExit(1) from exc
        finally:
            connection_for(host).close()

    def _ensure_system_host(self, user):
        existing = Host.objects.filter(uri=SYSTEM_HOST_URI).first()
        if existing is not None:
            self.stdout.write(f"System host: '{existing.name}' ({SYSTEM_HOST_URI}) exists already.")
            return
        # Through the action, as the admin: the URI is probed and the addition audited like one from a page.
        try:
            host = do_add_host(user, SYSTEM_HOST_NAME, SYSTEM_HOST_URI)
        except HostError as exc:
            raise CommandError(f"{exc.message} (is libvirtd running? bash scripts/start-libvirtd.sh starts it)") \
                from exc
        connection_for(host).close()
        self.stdout.write(f"System host: '{host.name}' ({SYSTEM_HOST_URI}) added.")

    def _ensure_admin(self, username):
        users = get_user_model()
        given = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        user = users.objects.filter(username=username).first()
        if user is None:
            password = given or secrets.token_urlsafe(12)
            user = users.objects.create_superuser(username=username, email="", password=password)
            if given:
                self.stdout.write(f"Admin account '{username}' created with DJANGO_SUPERUSER_PASSWORD.")
            else:
                self.stdout.write(self.style.WARNING(
                    f"Admin account '{username}' created. Its password, shown only this once: {password}"
                ))
        elif given:
            user.set_password(given)
            user.save(update_fields=["password"])
            self.stdout.write(f"Admin account '{username}': password set from DJANGO_SUPERUSER_PASSWORD.")
        return user
