"""The shape of a job in API v1 and on the events socket (Job.as_message gives both)."""

from rest_framework import serializers

from domains.jobs.models import STATES


class JobProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="Units done so far.")
    total = serializers.IntegerField(allow_null=True, help_text="Units in all; null while unknown.")
    unit = serializers.CharField(help_text="bytes, items, percent, ...")


class JobTargetSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="What the job works on: domain, host, volume, ... ('' for nothing).")
    id = serializers.CharField(help_text="The target's id within its type ('' for nothing).")
    label = serializers.CharField(help_text="The target's name when the job started.")
    host = serializers.IntegerField(allow_null=True, help_text="The host the job works on, if any.")


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="What the work is, e.g. volume.upload.")
    # Text, not an enum: an enum named after the field would collide with other features' "state" enums.
    state = serializers.CharField(help_text=" | ".join(STATES))
    progress = JobProgressSerializer()
    detail = serializers.JSONField(help_text="What the work reports beside its progress, e.g. a migration's memory "
                                             "and disk data processed and remaining, dirty rate, expected downtime.")
    rate = serializers.FloatField(allow_null=True, help_text="Units per second over the last seconds; null "
                                                              "before two reports.")
    target = JobTargetSerializer()
    user = serializers.CharField(help_text="Who started it ('system' for the console itself).")
    created = serializers.DateTimeField()
    started = serializers.DateTimeField(allow_null=True)
    ended = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField(help_text="Why it failed or was interrupted, and what to do ('' otherwise).")
    result = serializers.JSONField(allow_null=True, help_text="What the work produced, when it succeeded.")
    cancellable = serializers.BooleanField(help_text="Whether the work can be stopped midway (while it runs).")
    cancel_requested = serializers.BooleanField(help_text="Someone asked to cancel it; the work stops soon.")

    def to_representation(self, job):
        return job.as_message()
