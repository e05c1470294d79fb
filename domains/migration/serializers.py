"""The shape of a migration request in API v1 (its answer is the job: domains/jobs/serializers.py)."""

from rest_framework import serializers

from domains.migration.checks import COPY_STORAGE


class MigrationSerializer(serializers.Serializer):
    destination = serializers.IntegerField(help_text="The id of the host the domain moves to.")
    live = serializers.BooleanField(default=True, help_text="Keep the guest running while its memory moves "
                                                            "(ignored for a shut off domain: its definition moves).")
    copy_storage = serializers.ChoiceField(choices=COPY_STORAGE, default="none",
                                           help_text="none: the disks are on storage both hosts share; all: copy "
                                                     "every disk into a volume made in the same-named pool of the "
                                                     "destination; incremental: copy only the top image.")
    postcopy = serializers.BooleanField(default=False, help_text="Allow switching to post-copy "
                                                                 "(POST /jobs/{id}/postcopy) while it runs.")
    bandwidth = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                         help_text="Limit in MiB/s; none by default.")
    max_downtime = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                            help_text="Longest pause of the guest at the switch-over, in ms.")
    auto_converge = serializers.BooleanField(default=False, help_text="Slow the guest's vCPUs down if its memory "
                                                                      "changes faster than it moves.")
    compressed = serializers.BooleanField(default=False, help_text="Compress the memory pages sent.")
    persist = serializers.BooleanField(default=True, help_text="Define the domain on the destination (else it runs "
                                                               "there as a transient domain).")
    undefine_source = serializers.BooleanField(default=False, help_text="Remove the definition left on the source.")
    peer_to_peer = serializers.BooleanField(default=False, help_text="The source's libvirtd talks to the "
                                                                     "destination itself (its URI must be a "
                                                                     "network one); else the console drives both.")
    tunnelled = serializers.BooleanField(default=False, help_text="Send the data through the libvirtds' own "
                                                                  "connection (needs peer_to_peer).")
    tls = serializers.BooleanField(default=False, help_text="QEMU encrypts the migration data itself (native TLS, "
                                                            "libvirt's VIR_MIGRATE_TLS) with the QEMU TLS "
                                                            "certificates of both hosts; not with tunnelled. Left "
                                                            "aside for a shut off domain.")
    unsafe = serializers.BooleanField(default=False, help_text="Go on although libvirt cannot tell that the disks "
                                                               "are shared (e.g. a directory both hosts mount).")
    target_pools = serializers.DictField(child=serializers.CharField(max_length=253), required=False,
                                         help_text="Copied disks: the pool on the destination each one's new "
                                                   "volume is made in, by disk target ({\"vda\": \"fast\"}); it "
                                                   "must exist, run and have room for the disk's capacity.")
    pool = serializers.CharField(default="", allow_blank=True, max_length=253,
                                 help_text="Copied disks: the pool on the destination every copied disk goes to "
                                           "unless target_pools names another; by default the pool of the same "
                                           "name as the disk's, in the same directory.")
    migration_address = serializers.CharField(default="", allow_blank=True, max_length=253,
                                              help_text="Address of the destination the data goes to; by default "
                                                        "the host name of its URI, else its libvirtd's choice.")
