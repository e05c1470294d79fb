"""What the libvirt admin binding returns: thread pool, client limits, connected clients; and their JSON form.

The JSON form carries them between the admin worker process and the console
(see connection.py for why there is a worker process at all).
"""

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import ClassVar

TRANSPORTS = {0: "unix", 1: "tcp", 2: "tls"}


def _from_params(cls, params):
    """A dataclass whose LIBVIRT_NAMES maps its fields to libvirt's typed parameter names."""
    return cls(**{name: params.get(libvirt_name, 0) for name, libvirt_name in cls.LIBVIRT_NAMES.items()})


@dataclass(frozen=True)
class ThreadPool:
    """A server's worker pool: min, max and priority workers are settable, the rest is live.

    libvirt reads back prio_workers as the priority workers running now: after
    it is lowered, the count drops as the extra workers exit (milliseconds).
    """

    min_workers: int
    max_workers: int
    prio_workers: int
    current_workers: int
    free_workers: int
    job_queue_depth: int

    LIBVIRT_NAMES: ClassVar[dict] = {
        "min_workers": "minWorkers",
        "max_workers": "maxWorkers",
        "prio_workers": "prioWorkers",
        "current_workers": "nWorkers",
        "free_workers": "freeWorkers",
        "job_queue_depth": "jobQueueDepth",
    }
    SETTABLE: ClassVar[tuple] = ("min_workers", "max_workers", "prio_workers")
    from_params = classmethod(_from_params)


@dataclass(frozen=True)
class ClientLimits:
    """A server's client limits (settable) and its current client counts."""

    max_clients: int
    max_unauth_clients: int
    clients: int
    unauth_clients: int

    LIBVIRT_NAMES: ClassVar[dict] = {
        "max_clients": "nclients_max",
        "max_unauth_clients": "nclients_unauth_max",
        "clients": "nclients",
        "unauth_clients": "nclients_unauth",
    }
    SETTABLE: ClassVar[tuple] = ("max_clients", "max_unauth_clients")
    from_params = classmethod(_from_params)


@dataclass(frozen=True)
class DaemonClient:
    """One client connected to a daemon server, with the identity it authenticated as."""

    id: int
    transport: str
    connected_at: datetime
    readonly: bool | None = None
    sock_addr: str | None = None
    unix_user_id: int | None = None
    unix_user_name: str | None = None
    unix_group_id: int | None = None
    unix_group_name: str | None = None
    unix_process_id: int | None = None
    sasl_user_name: str | None = None
    x509_dname: str | None = None
    selinux_context: str | None = None
    info: dict = field(default_factory=dict)

    @classmethod
    def from_parts(cls, client_id, timestamp, transport, info):
        return cls(
            id=client_id,
            transport=TRANSPORTS.get(transport, f"unknown ({transport})"),
            connected_at=datetime.fromtimestamp(timestamp, tz=timezone.utc),
            readonly=info.get("readonly"),
            sock_addr=info.get("sock_addr"),
            unix_user_id=info.get("unix_user_id"),
            unix_user_name=info.get("unix_user_name"),
            unix_group_id=info.get("unix_group_id"),
            unix_group_name=info.get("unix_group_name"),
            unix_process_id=info.get("unix_process_id"),
            sasl_user_name=info.get("sasl_user_name"),
            x509_dname=info.get("tls_x509_dname"),
            selinux_context=info.get("selinux_context"),
            info=info,
        )


_WIRE_TYPES = {cls.__name__: cls for cls in (ThreadPool, ClientLimits, DaemonClient)}


def to_wire(value):
    """A JSON-ready form of a binding result (dataclasses, lists of them, plain values)."""
    if isinstance(value, list):
        return [to_wire(item) for item in value]
    if type(value).__name__ in _WIRE_TYPES:
        data = asdict(value)
        if isinstance(value, DaemonClient):
            data["connected_at"] = value.connected_at.timestamp()
        return {"type": type(value).__name__, "fields": data}
    return value


def from_wire(value):
    """The binding result that to_wire() turned into `value`."""
    if isinstance(value, list):
        return [from_wire(item) for item in value]
    if isinstance(value, dict) and set(value) == {"type", "fields"}:
        cls = _WIRE_TYPES[value["type"]]
        data = {f.name: value["fields"][f.name] for f in fields(cls) if f.name in value["fields"]}
        if cls is DaemonClient:
            data["connected_at"] = datetime.fromtimestamp(data["connected_at"], tz=timezone.utc)
        return cls(**data)
    return value
