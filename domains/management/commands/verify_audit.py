"""manage.py verify_audit: walk the audit log's hash chain and report the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from domains.access.audit import verify_anchor, verify_chain


class Command(BaseCommand):
    help = ("Check the audit log's hash chain, then its signed anchor outside the database (the newest entry's "
            "id and hash); exit 1 naming the first entry where either breaks.")

    def handle(self, *args, **options):
        checked, broken = verify_chain()
        if broken is None:
            broken = verify_anchor()
        if broken is not None:
            raise CommandError(f"Audit log broken at entry {broken.entry_id}: {broken.problem}. "
                               f"{checked} entries before it are intact.")
        self.stdout.write(self.style.SUCCESS(f"Audit log intact: {checked} entries, every link checked, anchor matched."))
