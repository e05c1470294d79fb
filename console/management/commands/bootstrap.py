"""Prepare a fresh install for `make run`: the embedded host, the demo guest, an admin account."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from domains.hosts.embedded import ensure_demo_domain, ensure_embedded_host
from domains.jobs.heartbeat import mark_stale_jobs_interrupted
from domains.libvirt.adapter import VirtError, connection_for


class Command(BaseCommand):
    help = "Create the embedded host, define the demo guest on it, and make sure an admin account exists."

    def add_arguments(self, parser):
        parser.add_argument("--admin", default=os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin"))

    def handle(self, *args, admin, **options):
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
        self._ensure_admin(admin)
        # The server starts next: jobs its previous run left running will never end on their own.
        interrupted = mark_stale_jobs_interrupted()
        if interrupted:
            self.stdout.write(f"Marked {interrupted} job(s) of a stopped server process interrupted.")

    def _ensure_admin(self, username):
        users = get_user_model()
        given = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        user = users.objects.filter(username=username).first()
        if user is None:
            password = given or secrets.token_urlsafe(12)
            users.objects.create_superuser(username=username, email="", password=password)
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
