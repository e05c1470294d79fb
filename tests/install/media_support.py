"""Install media the tests build from the demo guest: a bootable ISO (isolinux, El Torito, isohybrid so that the
same bytes also boot as a disk: the tests' 'cloud image')."""

import io
from pathlib import Path

import pycdlib

ISOLINUX = Path("/usr/lib/ISOLINUX/isolinux.bin")
LDLINUX = Path("/usr/lib/syslinux/modules/bios/ldlinux.c32")
# The demo guest's own command line (domains/hosts/embedded.py): the serial port gets the shell and the ready line.
ISOLINUX_CFG = b"""default demo
prompt 0
timeout 0
label demo
  kernel /vmlinuz
  append initrd=/initrd.img console=tty0 console=ttyS0 panic=-1
"""


def missing_boot_loader():
    """Why a bootable ISO cannot be built here, or None (Debian packages isolinux and syslinux-common)."""
    for path in (ISOLINUX, LDLINUX):
        if not path.exists():
            return f"{path} is missing: install Debian's isolinux and syslinux-common (scripts/setup.sh --test)"
    return None


def bootable_iso(guest_dir, label="DEMOGUEST"):
    """The bytes of an ISO booting the demo guest's kernel and initramfs through isolinux, from CD or disk."""
    guest_dir = Path(guest_dir)
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, rock_ridge="1.09", vol_ident=label)
    files = [("/ISOLINUX.BIN;1", "isolinux.bin", ISOLINUX.read_bytes()),
             ("/LDLINUX.C32;1", "ldlinux.c32", LDLINUX.read_bytes()),
             ("/ISOLINUX.CFG;1", "isolinux.cfg", ISOLINUX_CFG),
             ("/VMLINUZ.;1", "vmlinuz", (guest_dir / "vmlinuz").read_bytes()),
             ("/INITRD.IMG;1", "initrd.img", (guest_dir / "initrd.img").read_bytes())]
    for iso_path, rr_name, data in files:
        iso.add_fp(io.BytesIO(data), len(data), iso_path, rr_name=rr_name)
    iso.add_eltorito("/ISOLINUX.BIN;1", bootcatfile="/BOOT.CAT;1", boot_load_size=4, boot_info_table=True)
    iso.add_isohybrid()
    out = io.BytesIO()
    iso.write_fp(out)
    iso.close()
    return out.getvalue()
