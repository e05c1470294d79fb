"""The cloud-init NoCloud seed of a new domain: user-data and meta-data on an ISO 9660 image labelled "cidata"."""

import io
import uuid

import pycdlib
import yaml
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from passlib.hash import sha512_crypt

from domains.install.plan import InstallError

SEED_LABEL = "cidata"


def hashed_password(password):
    """The crypt(3) SHA-512 hash cloud-init hands to chpasswd/useradd: the password itself is never written."""
    return sha512_crypt.using(rounds=5000).hash(password)


def _free_user_data(text):
    if not text.strip():
        return {}
    try:
        data = yaml.safe_load(text.removeprefix("#cloud-config"))
    except yaml.YAMLError as exc:
        raise InstallError(format_lazy(_("cloud_init.user_data is not valid YAML: {problem}. Give cloud-config text "
                                         "such as 'packages: [nginx]'."), problem=exc)) from exc
    if not isinstance(data, dict):
        raise InstallError(_("cloud_init.user_data is cloud-config: a YAML mapping, e.g. 'packages: [nginx]'."))
    return data


def user_data(seed):
    """The #cloud-config text: the free user-data, with the console's user, keys and host name merged in."""
    config = _free_user_data(seed.user_data)
    if seed.hostname:
        config["hostname"] = seed.hostname
    if seed.user:
        user = {"name": seed.user, "shell": "/bin/bash", "groups": ["sudo"]}
        if seed.password:
            user.update(lock_passwd=False, passwd=hashed_password(seed.password))
            config["ssh_pwauth"] = True
        if seed.ssh_keys:
            user["ssh_authorized_keys"] = [key.strip() for key in seed.ssh_keys]
        config["users"] = ["default", user] + [u for u in config.get("users", []) if u != "default"]
    elif seed.ssh_keys:
        config["ssh_authorized_keys"] = list(config.get("ssh_authorized_keys", [])) + [k.strip() for k in seed.ssh_keys]
    return "#cloud-config\n" + yaml.safe_dump(config, default_flow_style=False, sort_keys=False)


def meta_data(seed, domain_name):
    return yaml.safe_dump({"instance-id": f"{domain_name}-{uuid.uuid4()}",
                           "local-hostname": seed.hostname or domain_name}, sort_keys=False)


def seed_image(seed, domain_name):
    """The seed ISO's bytes: files user-data and meta-data (Rock Ridge and Joliet names), volume label cidata."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident=SEED_LABEL)
    for name, text in (("user-data", user_data(seed)), ("meta-data", meta_data(seed, domain_name))):
        data = text.encode()
        iso_name = name.upper().replace("-", "_") + ".;1"
        iso.add_fp(io.BytesIO(data), len(data), f"/{iso_name}", rr_name=name, joliet_path=f"/{name}")
    out = io.BytesIO()
    iso.write_fp(out)
    iso.close()
    return out.getvalue()
