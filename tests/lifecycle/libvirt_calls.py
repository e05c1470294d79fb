"""A spy on the libvirt calls that go to the driver: which were made, and how many domains each asked about."""

import libvirt


class LibvirtCallCounter:
    """Counts calls to virConnect and virDomain methods that go to the driver (a spy, not a stand-in).

    calls holds "class.method" per call; domains_asked the number of domains each domainListGetStats named,
    stats_asked (set of domain UUID strings, stats groups) of each.
    """

    LOCAL = {"name", "UUID", "UUIDString", "connect", "ID"}  # answered from the Python object

    def __init__(self, monkeypatch):
        self.calls = []
        self.domains_asked = []
        self.stats_asked = []
        for cls in (libvirt.virConnect, libvirt.virDomain):
            for attr in dir(cls):
                if attr.startswith("_") or attr in self.LOCAL or not callable(getattr(cls, attr)):
                    continue
                self._wrap(monkeypatch, cls, attr)

    def _wrap(self, monkeypatch, cls, attr):
        original = getattr(cls, attr)

        def counted(*args, **kwargs):
            self.calls.append(f"{cls.__name__}.{attr}")
            if attr == "domainListGetStats":
                self.domains_asked.append(len(args[1]))
                self.stats_asked.append(({dom.UUIDString() for dom in args[1]}, args[2]))
            return original(*args, **kwargs)

        monkeypatch.setattr(cls, attr, counted)
