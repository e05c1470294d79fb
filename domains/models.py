"""The index Django reads for this app's models; each model lives in its feature's folder."""

from domains.access.models import AuditEntry, Grant, Role
from domains.backups.models import Backup
from domains.consoles.models import ConsoleTicket
from domains.daemon.models import DaemonSettings, DaemonSettingsRevision
from domains.definitions.models import DefinitionRevision
from domains.domain_templates.models import Template
from domains.hosts.models import Host
from domains.jobs.models import Job
from domains.lifecycle.models import Domain
from domains.networks.models import Network, NetworkRevision
from domains.quotas.models import Quota
from domains.storage.models import Pool, PoolRevision
from domains.tags.models import DomainTag

__all__ = ["AuditEntry", "Backup", "ConsoleTicket", "DaemonSettings", "DaemonSettingsRevision", "DefinitionRevision", "Domain", "DomainTag", "Grant", "Host",
           "Job", "Network", "NetworkRevision", "Pool", "PoolRevision", "Quota", "Role",
           "Template"]
