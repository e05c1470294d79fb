"""`manage.py api_contract --check|--write`: check API v1 and its websocket catalogue against the committed contract."""

from django.core.management.base import BaseCommand, CommandError

from domains.api import contract


class Command(BaseCommand):
    help = ("Compare the live /api/v1/ schema and the virtconsole.v1 websocket catalogue with api/*.json "
            "(--check, the default), or record them on purpose after an addition (--write).")

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--check", action="store_true", help="Fail, naming each break (the default).")
        mode.add_argument("--write", action="store_true", help="Record the live schema as the contract.")

    def handle(self, *args, **options):
        if options["write"]:
            for path in contract.write():
                self.stdout.write(f"wrote {path}")
            return
        report = contract.check()
        for note in report.notes:
            self.stdout.write(note)
        if not report.ok:
            lines = "\n".join(f"  - {each}" for each in report.breaks)
            raise CommandError(
                f"API v1 contract broken ({len(report.breaks)}):\n{lines}\n"
                "v1 is append-only: restore what was removed or changed. If the break is intended, it belongs "
                "in a new API version, not in v1."
            )
        self.stdout.write(self.style.SUCCESS("API v1 contract holds."))
