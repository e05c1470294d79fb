"""The API's version and its changelog of additions, served at GET /api/v1/version."""

import functools

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

# v1 is append-only: an addition bumps the minor version and adds an entry
# below (newest first); a removal or change of meaning is never made in v1.
API_VERSION = "1.8.0"

CHANGELOG = [
    {
        "version": "1.8.0",
        "added": [
            "Volume upload in one body again: PUT .../content with a Content-Length takes a body of any size (the "
            "whole file, or a part of any size with Content-Range), passed into libvirt as it arrives while the "
            "server holds a few MiB of it; this lifts the narrowing of 1.3.0 (bodies over 8 MiB refused). A body "
            "cut off midway keeps what arrived: the job's progress.done says where the next part starts. Bodies "
            "of other requests, and uploads without a Content-Length, stay limited to 8 MiB (413 part_too_large).",
            "Pools: stopping (POST .../actions {action: stop}) or deleting a pool while an upload, download, wipe "
            "or clone works on one of its volumes is refused 409 pool_busy, fields.jobs naming the jobs.",
        ],
    },
    {
        "version": "1.7.0",
        "added": [
            "Tags: GET /domains/{uuid}/tags answers {tags: [...]}; PUT /domains/{uuid}/tags {tags: [...]} replaces "
            "them (permission write on the domain; lower-cased, each once, sorted; a tag is 1 to 40 of a-z, digits, "
            "'.', '_', '-' starting with a letter or digit; at most 20; a bad one is refused whole with 400 invalid "
            "naming it, audited as domain.tags). GET /domains takes tag= and each domain carries its tags.",
        ],
    },
    {
        "version": "1.6.0",
        "added": [
            "People and groups: GET /users (q, is_active) and /users/{id}, GET /groups and /groups/{id}, for whoever "
            "holds manage_grants everywhere. Superusers only: POST /users {username, password (the console's "
            "password validators), email, is_superuser}; PATCH /users/{id} {is_active: false deactivates, ending "
            "the person's sessions and sockets; password}; POST /groups {name}, PATCH /groups/{id} {name}, DELETE "
            "/groups/{id} (its grants go with it); PUT and DELETE /groups/{id}/members/{username}. Every change is "
            "audited (user.*, group.*); others get 403 naming the permission 'superuser'.",
        ],
    },
    {
        "version": "1.5.0",
        "added": [
            "Migration: POST /domains/{uuid}/migrate {destination: host id, live, copy_storage none|all|incremental, "
            "postcopy, bandwidth (MiB/s), max_downtime (ms), auto_converge, compressed, persist, undefine_source, "
            "peer_to_peer, tunnelled, unsafe, migration_address} answers 202 with its job (kind domain.migrate, "
            "cancellable while the domain runs: libvirt's job is aborted and the guest stays on the source; a shut "
            "off domain moves offline, its definition only). Pre-checks refuse with 409 before anything moves: "
            "same_host, destination_unreachable, destination_other_kind, destination_same_libvirtd, domain_exists, "
            "emulator_missing, machine_missing, cpu_incompatible, network_missing, pool_missing, pool_elsewhere, "
            "disk_not_copyable, disk_not_in_pool, volume_exists, memory_short, offline_needs_persist, "
            "offline_no_copy, p2p_needs_remote. Permission migrate on the domain, write and start on the "
            "destination host. On success the domain's row (UUID, grants, history) names the destination host, "
            "unused console tickets are void and open consoles close with reason domain_moved. POST "
            "/jobs/{id}/postcopy switches a migration started with postcopy to post-copy (409 not_a_migration, "
            "job_ended, postcopy_not_enabled).",
            "Migration: target_pools {disk target: pool name} and pool (one pool for every copied disk) choose "
            "the destination pool a copied disk's new volume is made in (with the source volume's capacity and "
            "format; its new path goes to the destination through libvirt's destination and persistent XML); "
            "refused first with 409 pool_missing, pool_inactive, pool_full, volume_exists, 400 invalid (a disk the "
            "guest has not, or a pool without copy_storage). copy_storage incremental makes the destination volume "
            "an overlay on the same backing image, which must be in a pool there (409 backing_missing). The job's "
            "result has copied_to {disk: {pool, path}}. A failed or cancelled migration removes the volumes it made.",
            "Migration: tls (boolean, default false) asks for native TLS (libvirt's VIR_MIGRATE_TLS: QEMU encrypts "
            "the migration stream with each host's QEMU TLS certificates). Refused before anything moves with 400 "
            "invalid together with tunnelled, and 409 tls_unavailable between hosts whose driver has no TLS "
            "migration (not QEMU); a TLS migration libvirt refuses (certificates missing or not trusted) fails its "
            "job with libvirt's words and what to set up, the guest still on the source. Left aside (a note) for a "
            "shut off domain.",
            "Jobs: a detail object (also on the events socket): for a migration, libvirt's job statistics "
            "(time_elapsed, data_total/processed/remaining, memory_total/processed/remaining, memory_dirty_rate, "
            "memory_bps, disk_total/processed/remaining, downtime: the expected one while it runs).",
            "A domain's backups: GET/POST /domains/{uuid}/backups (GET: the complete backups oldest first with id, "
            "kind full|incremental, parent, children, checkpoint, volumes [{disk, pool, volume, path, capacity, "
            "allocation}], size, created, created_by, state, job; POST {kind: full|incremental, pool}: push-mode "
            "libvirt backup of every writable disk into new qcow2 volumes <domain>-<disk>-backup-<id>.qcow2 of a "
            "directory pool, with a checkpoint virtconsole-backup-<id>; an incremental one starts at the newest "
            "backup's checkpoint; answers 202 with its job, kind domain.backup_create, cancellable: the partial "
            "volumes and the checkpoint are removed). GET/DELETE /domains/{uuid}/backups/{id} (DELETE answers 204; "
            "a backup later incrementals build on is refused 409 backup_has_dependents unless ?chain=true). POST "
            "/domains/{uuid}/backups/{id}/restore {mode: new|over, pool, name}: the backup's chain copied into "
            "standalone volumes of pool; new: a new domain called name (new UUID and MACs); over: the shut-off "
            "domain moved onto the restored volumes (old ones kept, its checkpoints removed); 202 with its job, kind "
            "domain.backup_restore, cancellable. Permissions: checkpoint and block_read on the domain and "
            "storage_vol.create on the pool to take; checkpoint and storage_vol.delete to delete; read plus "
            "define_domains on the host (new) or write (over) and storage_vol.create to restore. Error codes "
            "invalid_backup, no_backup (404), domain_not_running, disk_unsupported (raw, non-file or qcow2 v2 "
            "disks), pool_unsupported, pool_inactive, volume_exists, no_full_backup, checkpoint_missing, "
            "domain_busy, backup_has_dependents, domain_running, has_snapshots, domain_exists, host_not_local, "
            "backup_failed, image_failed (409 unless said).",
            "Permission name checkpoint (libvirt's domain:checkpoint), in the Power user role.",
            "Clones: POST /domains/{uuid}/clone {name, disks: [{target, mode: copy|linked|share, pool, format}]} "
            "answers 202 with its job (kind domain.clone, unit bytes, cancellable: a cancel takes effect when the "
            "volume copy running then ends, and deletes every volume made; nothing is defined). The clone gets a new "
            "UUID (and SMBIOS system UUID), new MACs, automatic graphics ports (fixed ports and websocket ports "
            "dropped), its file character devices renamed, its NVRAM copied when a pool holds it (else made from the "
            "firmware's template, said in the result's notes); disks copy (default: into the source volume's pool, "
            "in its format) or linked (a qcow2 overlay on the source volume) into volumes named <clone>-<disk>.<ext>, "
            "or share (read-only, shareable or CD-ROM disks only; the default for them). The job's result: domain "
            "{uuid, name, host}, disks, nvram, renamed_files, notes. Permission read on the source, define_domains "
            "on its host, storage_vol.data_read on the source volumes' pools, storage_vol.create and data_write on "
            "the target pools; the definition policy judges the clone like any new definition. A cloner who is no "
            "superuser gets the Administrator role on the clone. Error codes invalid_clone, name_taken (409), "
            "source_running (409: shut the source down first), share_refused (409), not_in_pool (409), no_pool, "
            "pool_inactive (409), format_refused, volume_exists (409), insufficient_space (409), linked_refused (409: a linked clone of a domain with "
            "snapshots, whose revert or delete would change the image the clone stands on).",
            "Clones onto another host: POST /domains/{uuid}/clone takes host (a host id; default the source's). The "
            "host must be of the same kind (same libvirt driver; never the embedded one: 409 "
            "destination_other_kind; 409 destination_unreachable; 400 no_host for one you may not see) and hold "
            "define_domains for the cloner; disks are copied by storage streams (sparse where both volumes are "
            "files; progress in bytes moved; a cancel aborts the streams and deletes every volume made there) into "
            "the pool named per disk there (default the source's pool name; storage_vol.create and data_write "
            "needed), in the format asked (converted there); linked is refused (409 linked_refused), share only for "
            "read-only disks and CD-ROMs that host has at the same pool/volume (409 share_refused), a disk that is "
            "an overlay is refused (409 backing_chain); the NVRAM goes into that host's pool of the source NVRAM's "
            "pool name (400 no_pool); a network the clone's interfaces name must exist there (409 network_missing, "
            "fields.networks). The result's domain.host is the destination.",
            "Clones onto another host and migrations also check a bridge interface's host bridge and a direct "
            "(macvtap) interface's host device before anything moves: 409 interface_missing, fields.bridges and "
            "fields.devices (network_missing, fields.networks, when a network lacks too).",
            "GET /os-variants?search= (any signed-in user; a page at a time: limit, offset): the operating systems of Debian's osinfo-db "
            "(id, short_id, short_ids, name, vendor, family, release_date, eol_date, minimum and recommended "
            "{vcpus, memory_mib, disk_gib}, firmware, firmware_unsupported), newest release first, an exact "
            "short id first.",
            "POST /hosts/{id}/domains grows a structured create beside xml: name, os (an osinfo short id: vcpus, "
            "memory_mib and disk sizes default to its recommended ones), vcpus, memory_mib, firmware "
            "bios|uefi|uefi-secure (only what the host's domain capabilities offer, else 400), install {kind: "
            "iso|cloud-image|network|import, volume 'pool/volume', mode clone|link and pool for cloud-image}, disks "
            "[{pool, size_gib, format qcow2|raw}] (new volumes <name>-diskN), interfaces [{network}], cloud_init "
            "{user, password (stored only as a SHA-512 crypt hash), ssh_keys, hostname, user_data, pool} (a NoCloud "
            "seed ISO volume <name>-cidata.iso attached as a CD-ROM), start, reason. Everything is checked before "
            "anything is made (400 invalid_install) and whatever was made is removed when a later step fails. "
            "Answers 201 with the definition result plus install {uuid, name, revision, volumes, started, os}, or "
            "202 with a job of kind domain.install when it copies a cloud image (the job's result is that object).",
            "POST /domains/{uuid}/media {device, volume 'pool/volume' or null, reason}: insert, change or eject the "
            "medium of a CD-ROM or floppy drive, live and in the definition on a running domain (permission write "
            "on the domain, storage_vol.data_read on the volume's pool); answers {device, volume, live, revision}; "
            "error codes no_drive (404), no_volume (404), invalid_media (400: not a removable drive).",
            "Quotas: GET /quotas (any signed-in user: {user, username, used, limits, limits_from user|group|none|"
            "superuser}, used and limits each {domains, vcpus, memory_mib, disk_bytes}, a null limit unlimited; "
            "?user=<id> (400 no_such_holder for an unknown user or group) and the list quotas [{id, user, username, group, group_name, max_domains, max_vcpus, "
            "max_memory_mib, max_disk_bytes, changed}] need manage_quotas everywhere); PATCH /quotas {user: id | "
            "group: id, max_domains, max_vcpus, max_memory_mib, max_disk_bytes} (manage_quotas everywhere, audited "
            "quota.set; null unlimited, a field left out keeps its value). A user's limits are her own quota if set, "
            "else the most generous of her groups' quotas, else none; superusers have none. Usage counts the "
            "domains she owns (the Administrator grant a create or clone gives her: POST /hosts/{id}/domains with "
            "install now gives it too), their vCPUs and memory, and the capacities of their disks in pools. A "
            "create or clone past a limit answers 403 quota_exceeded with the numbers (fields exceeded [{resource, "
            "would_use, limit}], used, adding) and makes nothing.",
            "Templates: GET/POST /templates, GET/PATCH/DELETE /templates/{id} ({id, name, description, os, vcpus, "
            "memory_mib, disk_size_gib, disk_pool, disk_format, install {kind, volume, mode, pool}, networks, "
            "cloud_init (no password), created, created_by, changed}; anyone signed in reads them; changes need "
            "manage_templates everywhere, are audited and refused 400 invalid_template when the install would "
            "refuse the template, 409 name_taken). POST /hosts/{id}/domains grows template (an id): the template's "
            "fields, each one the request gives replacing it (cloud_init field by field). POST "
            "/domains/{uuid}/template {name, description} (read on the domain, manage_templates everywhere) makes a "
            "template of the domain's vCPUs, memory, OS (libosinfo metadata), networks and first pool disk as a "
            "cloud-image install cloned from that very volume (no copy is made).",
            "POST /domains/{uuid}/actions {action: undefine, remove_storage: true} also deletes the shut-off domain's "
            "storage: its writable disks' volumes with their backing chains and its external snapshots' overlay and "
            "memory files (CD-ROMs, read-only and shareable disks and backups are kept). A volume another domain uses "
            "or another volume stands on (a linked clone's base) is kept; the answer's storage {deleted, kept (with "
            "reason), left (not deleted after a failed deletion)} says which. Refusals before anything changes: 409 "
            "domain_running; 403 without storage_vol.delete on a pool to delete from. Undefine now also forgets the "
            "domain's checkpoint metadata.",
            "POST /domains/{uuid}/actions {action: start} answers 409 base_of_linked_clone when a writable disk of the "
            "domain is the backing file of other volumes (a linked clone's base): starting would corrupt them.",
            "DELETE /domains/{uuid}/snapshots/{name} answers 409 overlay_in_use when another volume stands on an "
            "external snapshot's overlay or another domain uses it, and 409 base_in_use when the commit would write "
            "into a file a linked clone stands on; a deletion job's result lists in kept the files it did not delete "
            "because something came to need them meanwhile.",
        ],
    },
    {
        "version": "1.4.0",
        "added": [
            "A domain's snapshots: GET/POST /domains/{uuid}/snapshots (GET: current, snapshots oldest first with "
            "name, description, created, state, parent, children, current, kind internal|external_disk_only|"
            "external_with_memory, disks, overlays as volumes of their pools with capacity and allocation, memory "
            "(the memory file's volume); tree of "
            "roots with nested children; offers: the kinds POST may take now with the reasons; external_revert), "
            "GET/DELETE /domains/{uuid}/snapshots/{name} (DELETE ?children=true deletes the subtree; external ones "
            "by block commit, the pivot verified, their overlay volumes removed; that job is cancellable: the commit "
            "stops without a pivot, every layer whole), POST "
            "/domains/{uuid}/snapshots/{name}/revert {state: snapshot|running|paused}. POST {name, kind, "
            "description}: kinds internal, external_disk_only, external_with_memory (files named "
            "<domain>-<disk>-<name>.qcow2 and <domain>-<name>.mem in the disk's pool). POST, DELETE and revert "
            "answer 202 with their job (kinds domain.snapshot_create, domain.snapshot_delete, "
            "domain.snapshot_revert). Permission snapshot (read to list). Error codes invalid_snapshot, "
            "snapshot_exists (409), snapshot_kind_refused (409: raw disk, mixed internal/external chain, driver), "
            "overlay_exists (409), no_snapshot (404), external_revert_unsupported (409: libvirt before 9.9), "
            "mixed_chain (409), domain_not_running (409: external delete of a shut-off domain), chain_changed (409).",
            "Virtual networks per host: GET/POST /hosts/{id}/networks (create from fields name, forward, bridge, "
            "device, ipv4/ipv6 {address, prefix, dhcp {start, end}}, start, autostart; or from xml), "
            "GET/PATCH/DELETE /hosts/{id}/networks/{name} (PATCH autostart, xml; DELETE refused 409 in_use with "
            "fields.domains while domains use it), POST /hosts/{id}/networks/{name}/actions "
            "start|stop|autostart|noautostart, GET /hosts/{id}/networks/{name}/leases; error codes "
            "invalid_network, network_exists (409), subnet_in_use (409), no_network_driver (409, the embedded "
            "host).",
            "Permissions network.getattr, network.read, network.write, network.save, network.delete, "
            "network.start, network.stop, network.search_ports (libvirt's network ACL names); held through a "
            "host or global grant.",
            "Static DHCP hosts and DNS host entries changed live (running network and persistent definition "
            "together): GET/POST/DELETE /hosts/{id}/networks/{name}/dhcp-hosts ({mac, ip, name}; IPv6 hosts "
            "{name or id, ip}; DELETE ?mac= or ?name=), GET/POST/DELETE /hosts/{id}/networks/{name}/dns-hosts "
            "({ip, hostnames}; DELETE ?ip=); POST/DELETE need network.write and network.save; error codes "
            "dhcp_host_exists, dns_host_exists (409), no_dhcp_host, no_dns_host (404).",
            "Network create checks the host devices of its forward mode first (bridge: the host bridge exists; "
            "macvtap: the interface exists; hostdev: an SR-IOV physical function, else 409 no_sriov) and every "
            "DHCP range (in its subnet, start <= end, not holding the host's address), also for XML; field "
            "port_forwards is refused (400 unsupported: libvirt's networks have no port forwarding).",
            "GET /hosts/{id}/interfaces[?usable_for=bridge|macvtap]: the host's interfaces and bridges (name, mac, "
            "active, link, kind, mtu, members, in_bridge, addresses, network, usable_for); permission "
            "interface.read (new: interface.getattr, interface.read).",
            "Network filters: GET/POST /hosts/{id}/nwfilters, GET/PUT/DELETE /hosts/{id}/nwfilters/{name} (name, "
            "uuid, chain, priority, references, referenced_by, bound_to, rules, xml); DELETE refused 409 in_use "
            "while included or bound; error codes nwfilter_exists (409), no_nwfilter (404), no_nwfilter_driver "
            "(409); permissions nwfilter.getattr, nwfilter.read, nwfilter.write, nwfilter.save, nwfilter.delete.",
            "A domain's interfaces: GET/POST /domains/{uuid}/interfaces, PATCH/DELETE "
            "/domains/{uuid}/interfaces/{mac}; kinds network, bridge, direct (source, mode), model, mac (made up "
            "when left out), filter {name, parameters}, bandwidth {inbound, outbound: {average, peak, burst}}, "
            "link up|down; changed on the definition and, while the domain runs, live (LIVE|CONFIG together). "
            "Each interface shows in_definition, live, pending (detach: a removal the guest has not finished; "
            "DELETE then answers 202) and addresses [{address, prefix, type, source: lease|agent|arp}]. Needs "
            "write and save on the domain. Error codes mac_in_use (409), unknown_network, unknown_filter, "
            "invalid_interface, not_changeable_live (409).",
            "DHCP leases (GET /hosts/{id}/networks/{name}/leases) name their domain: domain and domain_uuid, "
            "null for a domain you may not see.",
            "Websocket message domain.device_removal_failed (events socket): the guest refused to release a "
            "device whose hot-unplug was asked for.",
            "Grants on one network: POST /grants takes \"network\": <network id>; a grant shows network, "
            "network_name and scope \"network\". Permissions network_port.getattr, network_port.read, "
            "network_port.write, network_port.create, network_port.delete (libvirt's network-port ACL names); "
            "network.getattr, read, delete, start, stop, search_ports and network_port.* hold on one network, "
            "network.write and network.save stay host-level; built-in role 'Network user'. A network you may not "
            "see answers 404.",
            "Definition policy: an <interface type='network'> added or moved to another network needs "
            "network_port.create on that network; refusals answer 403 definition_policy with fields.permission "
            "network_port.create.",
            "Network revisions: every define and XML edit through the console records one; GET "
            "/hosts/{id}/networks/{name}/revisions, .../revisions/{number} (with xml), .../revisions/diff?from=&to= "
            "(network.read).",
            "Network rollback: POST /hosts/{id}/networks/{name}/revisions/{number}/rollback {reason} defines that "
            "revision's XML again, checked like new XML (refused, nothing changed, when its subnet is taken since or "
            "the host bridge or device it names is gone); answers {revision, network, live_unchanged, message}: a "
            "running network keeps its live configuration until stopped and started again. Needs network.write. "
            "Revisions show source: console, api, external (as first found) or rollback.",
            "Websocket: network.lifecycle events (host, network, name, event, gone, active, persistent, "
            "autostart) on the events socket, to users who may see the network.",
            "Websocket: watch_stats takes an optional \"stats\" list (cpu, memory, disk, net; all four when "
            "absent): libvirt is asked only for those figures, the others come as null in domain.stats.",
        ],
    },
    {
        "version": "1.3.0",
        "added": [
            "Volumes: backing_of lists the volumes built on this one (qcow2 overlays, directly or through "
            "others) in pools you may see; used_by also counts domains that use such an overlay; DELETE of a "
            "volume others are built on is refused 409 in_use with fields.backing_of.",
            "Volume upload in parts: PUT .../content bodies of at most 8 MiB, consecutive parts with Content-Range "
            "bytes N-M/T continue one upload and job; a part short of T answers 202 {received, total, job}, the "
            "last 200 with the SHA-256; 409 part_in_progress, upload_running, cancelled; 413 part_too_large "
            "(fields.part_limit); 411 length_required; 400 bad_host (Host outside ALLOWED_HOSTS). The one narrowing "
            "in v1: a single body over 8 MiB, which 1.2.0 took, is refused, because the server held all of it in "
            "memory; the storage issue it belongs to is still open.",
            "Pool types: volume_formats and default_volume_format (GET /hosts/{id}/pool-types), from libvirt's "
            "storage pool capabilities; a volume's format may be left out on create (the pool type's default: "
            "raw in file pools) and disk pools take their partition types.",
        ],
    },
    {
        "version": "1.2.0",
        "added": [
            "Storage pools per host: GET/POST /hosts/{id}/pools (create from fields or XML, build, start, "
            "autostart), GET/PATCH/DELETE /hosts/{id}/pools/{name} (PATCH autostart, xml; DELETE ?purge=true), "
            "POST /hosts/{id}/pools/{name}/actions, GET /hosts/{id}/pool-types; error codes invalid_pool, "
            "pool_exists (409) and no_storage_driver (409, the embedded host).",
            "Grants on one storage pool: POST /grants takes \"pool\": <pool id> (the id in a pool's JSON); a grant "
            "shows pool and pool_name, scope \"pool\". A role none of whose permissions apply to one domain or "
            "pool is refused there (invalid_grant).",
            "Websocket message pool.lifecycle (events socket): pool lifecycle and refresh events with the pool's "
            "state and space.",
            "Jobs: GET /api/v1/jobs (filters state, kind; limit/offset pagination), GET /api/v1/jobs/{id}, "
            "POST /api/v1/jobs/{id}/cancel (202 with the job; 409 job_ended or not_cancellable).",
            "Websocket message job on the events socket: a visible job started, progressed or ended.",
            "Volume content: GET/HEAD /api/v1/hosts/{id}/pools/{name}/volumes/{volume}/content (Range: 206, 416), "
            "PUT of the bytes (application/octet-stream; Content-Range resumes; 413 too_large, 409 resume_offset "
            "with fields.offset); each a job (volume.download, volume.upload) whose result carries the SHA-256.",
"Volumes: GET/POST /api/v1/hosts/{id}/pools/{name}/volumes (create raw or qcow2: capacity, allocation, "
            "preallocation, lazy_refcounts, backing {pool, volume}), GET/PATCH/DELETE .../volumes/{volume} (PATCH "
            "capacity resizes, shrink: true to shrink; DELETE refused 409 in_use naming the domains), POST "
            ".../volumes/{volume}/actions wipe|clone (202 with the job); error codes insufficient_space, exists, "
            "shrink_unconfirmed, in_use.",
        ],
    },
    {
        "version": "1.1.0",
        "added": [
            "Permissions host_resources (name host resources in a definition) and monitor_host (monitor commands "
            "that name host paths, descriptors, processes or endpoints); both host-level.",
            "Error codes definition_policy (403: a change names host resources the caller may not name, each "
            "offending element with its line in fields.xml) and server_error (500, in the one error shape).",
        ],
    },
    {
        "version": "1.0.0",
        "added": [
            "Hosts: list, add, detail, change (name, URI, enabled), remove.",
            "Domains: list (filters host, state, name; limit/offset pagination), detail, structured edits (PATCH), "
            "lifecycle actions.",
            "Definitions: the domain XML (GET, PUT), validation, revisions with diff and rollback, "
            "create a domain on a host from XML.",
            "Console tickets for the serial and graphical consoles.",
            "Grants and roles; the audit log (filters, pagination).",
            "Daemon settings per host: desired settings (GET, PATCH), their revisions, client disconnect, TLS reload.",
            "One error shape for every failure: status, code, message, fields.",
            "GET /api/v1/version: this version and changelog.",
        ],
    },
]


class ChangelogEntrySerializer(serializers.Serializer):
    version = serializers.CharField()
    added = serializers.ListField(child=serializers.CharField(), help_text="What this version added.")


class VersionSerializer(serializers.Serializer):
    api = serializers.CharField(help_text="The API's major version: v1.")
    version = serializers.CharField(help_text="Semantic version of v1; the minor part counts additions.")
    changelog = ChangelogEntrySerializer(many=True, help_text="Additions, newest first.")


@functools.cache
def version_answer():
    """The same for every request: serialized once (the serializer copies its fields anew each time, a fifth of a
    millisecond per request for the changelog's entries)."""
    return VersionSerializer({"api": "v1", "version": API_VERSION, "changelog": CHANGELOG}).data


class VersionView(APIView):
    """Public, so a client can check compatibility before it authenticates."""

    permission_classes = [AllowAny]

    @extend_schema(responses=VersionSerializer, summary="API version and changelog of additions")
    def get(self, request):
        return Response(version_answer())
