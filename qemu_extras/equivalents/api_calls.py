"""Which libvirt API call gives the same facts as a QEMU monitor command, or does the same."""

from dataclasses import dataclass

from qemu_extras.monitor.policy import classify


@dataclass(frozen=True)
class ApiEquivalent:
    """The libvirt API call giving the same facts, or doing the same, as a monitor command."""

    command: str  # canonical QMP name (HMP names map to it through qemu_extras/monitor/policy.py)
    api: str
    since: str  # the API's "version" in libvirt-api.xml
    python: str  # the libvirt-python call
    note: str = ""


# Versions from the installed /usr/share/libvirt/api/libvirt-api.xml.
MONITOR_EQUIVALENTS = {entry.command: entry for entry in (
    ApiEquivalent("query-status", "virDomainGetState", "0.9.2", "dom.state()"),
    ApiEquivalent("query-name", "virDomainGetName", "0.0.3", "dom.name()"),
    ApiEquivalent("query-uuid", "virDomainGetUUIDString", "0.1.1", "dom.UUIDString()"),
    ApiEquivalent("query-version", "virConnectGetVersion", "0.0.3", "conn.getVersion()",
                  "the hypervisor (QEMU) version, as major*1000000 + minor*1000 + micro"),
    ApiEquivalent("query-block", "virDomainGetBlockInfo", "0.8.1", "dom.blockInfo(target)"),
    ApiEquivalent("query-blockstats", "virDomainBlockStatsFlags", "0.9.5",
                  "dom.blockStatsFlags(target)"),
    ApiEquivalent("query-block-jobs", "virDomainGetBlockJobInfo", "0.9.4",
                  "dom.blockJobInfo(target)"),
    ApiEquivalent("query-cpus-fast", "virDomainGetVcpus", "0.1.4", "dom.vcpus()"),
    ApiEquivalent("query-balloon", "virDomainMemoryStats", "0.7.5", "dom.memoryStats()"),
    ApiEquivalent("query-memory-size-summary", "virDomainGetInfo", "0.0.3", "dom.info()"),
    ApiEquivalent("query-iothreads", "virDomainGetIOThreadInfo", "1.2.14", "dom.ioThreadInfo()"),
    ApiEquivalent("query-migrate", "virDomainGetJobStats", "1.0.3", "dom.jobStats()"),
    ApiEquivalent("query-dump", "virDomainGetJobStats", "1.0.3", "dom.jobStats()"),
    ApiEquivalent("query-stats", "virConnectGetAllDomainStats", "1.2.8",
                  "conn.getAllDomainStats()"),
    ApiEquivalent("query-vnc", "virDomainGetXMLDesc", "0.0.3", "dom.XMLDesc()",
                  "the live <graphics> element carries the listen address and port"),
    ApiEquivalent("query-chardev", "virDomainGetXMLDesc", "0.0.3", "dom.XMLDesc()",
                  "the live <serial>/<console> elements carry the pty paths"),
    ApiEquivalent("stop", "virDomainSuspend", "0.0.3", "dom.suspend()"),
    ApiEquivalent("cont", "virDomainResume", "0.0.3", "dom.resume()"),
    ApiEquivalent("system_reset", "virDomainReset", "0.9.7", "dom.reset()"),
    ApiEquivalent("system_powerdown", "virDomainShutdownFlags", "0.9.10", "dom.shutdownFlags()"),
    ApiEquivalent("system_wakeup", "virDomainPMWakeup", "0.9.11", "dom.pMWakeup()"),
    ApiEquivalent("inject-nmi", "virDomainInjectNMI", "0.9.2", "dom.injectNMI()"),
    ApiEquivalent("send-key", "virDomainSendKey", "0.9.3", "dom.sendKey(...)"),
    ApiEquivalent("screendump", "virDomainScreenshot", "0.9.2", "dom.screenshot(stream, 0)"),
    ApiEquivalent("dump-guest-memory", "virDomainCoreDumpWithFormat", "1.2.3",
                  "dom.coreDumpWithFormat(path, format)"),
    ApiEquivalent("balloon", "virDomainSetMemoryFlags", "0.9.0", "dom.setMemoryFlags(kib)"),
    ApiEquivalent("block_resize", "virDomainBlockResize", "0.9.8", "dom.blockResize(target, size)"),
    ApiEquivalent("block_set_io_throttle", "virDomainSetBlockIoTune", "0.9.8",
                  "dom.setBlockIoTune(target, params)"),
    ApiEquivalent("block-job-cancel", "virDomainBlockJobAbort", "0.9.4", "dom.blockJobAbort(target)"),
    ApiEquivalent("block-job-set-speed", "virDomainBlockJobSetSpeed", "0.9.4",
                  "dom.blockJobSetSpeed(target, bandwidth)"),
    ApiEquivalent("block-commit", "virDomainBlockCommit", "0.10.2", "dom.blockCommit(...)"),
    ApiEquivalent("block-stream", "virDomainBlockPull", "0.9.4", "dom.blockPull(target)"),
    ApiEquivalent("drive-mirror", "virDomainBlockCopy", "1.2.8", "dom.blockCopy(...)"),
    ApiEquivalent("blockdev-mirror", "virDomainBlockCopy", "1.2.8", "dom.blockCopy(...)"),
    ApiEquivalent("eject", "virDomainUpdateDeviceFlags", "0.8.0", "dom.updateDeviceFlags(xml)",
                  "an updated <disk device='cdrom'> without <source>"),
    ApiEquivalent("set_link", "virDomainUpdateDeviceFlags", "0.8.0", "dom.updateDeviceFlags(xml)",
                  "an updated <interface> with <link state='up|down'/>"),
    ApiEquivalent("set_password", "virDomainUpdateDeviceFlags", "0.8.0",
                  "dom.updateDeviceFlags(xml)", "an updated <graphics passwd=...>"),
    ApiEquivalent("device_add", "virDomainAttachDeviceFlags", "0.7.7", "dom.attachDeviceFlags(xml)"),
    ApiEquivalent("device_del", "virDomainDetachDeviceAlias", "4.4.0",
                  "dom.detachDeviceAlias(alias)"),
    ApiEquivalent("migrate", "virDomainMigrateToURI3", "1.1.0", "dom.migrateToURI3(uri, params)"),
    ApiEquivalent("migrate_cancel", "virDomainAbortJob", "0.7.7", "dom.abortJob()"),
    ApiEquivalent("migrate-set-parameters", "virDomainMigrateSetMaxDowntime", "0.8.0",
                  "dom.migrateSetMaxDowntime(ms)", "for downtime-limit; speed: migrateSetMaxSpeed"),
    ApiEquivalent("savevm", "virDomainSnapshotCreateXML", "0.8.0", "dom.snapshotCreateXML(xml)"),
    ApiEquivalent("loadvm", "virDomainRevertToSnapshot", "0.8.0", "dom.revertToSnapshot(snapshot)"),
    ApiEquivalent("delvm", "virDomainSnapshotDelete", "0.8.0", "snapshot.delete()"),
    ApiEquivalent("memsave", "virDomainMemoryPeek", "0.4.2", "dom.memoryPeek(start, size, flags)"),
    ApiEquivalent("pmemsave", "virDomainMemoryPeek", "0.4.2", "dom.memoryPeek(start, size, flags)"),
    ApiEquivalent("quit", "virDomainDestroy", "0.0.3", "dom.destroy()"),
)}


def equivalent_of(classification):
    """The ApiEquivalent of a classified monitor command (of the command an HMP passthrough wraps), or None."""
    target = classification.wrapped or classification
    return MONITOR_EQUIVALENTS.get(target.command_name)


def monitor_equivalent(command_text, hmp):
    """The ApiEquivalent of a monitor command (QMP JSON or HMP text), or None.

    Raises MonitorCommandError for text that is not a command at all.
    """
    return equivalent_of(classify(command_text, hmp))
