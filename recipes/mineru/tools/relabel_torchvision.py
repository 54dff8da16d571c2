"""Make the vendor torchvision's version agree with the vendor torch.

Some MetaX images ship torchvision built for MACA but labelled with an old
upstream version (e.g. 0.15.1+metax3.1.0.4 next to torch 2.6.0+metax3.1.0.4).
pip then believes torchvision does not fit torch 2.6 and tries to replace it with
a CUDA build from PyPI. MinerU's MACA Dockerfile works around this by relabelling
the installed distribution as the torchvision release that belongs to torch 2.6
(0.21.0), keeping the MetaX local label (MinerU docker/china/maca.Dockerfile @ e0e58fc0).

This script does the same, but only when it is needed: the installed torchvision
is a MetaX build (local label starting with "metax") and its release is not the
one paired with the installed torch. Otherwise it changes nothing. The installed
files are not touched; only the dist-info metadata (directory name, Version field
and the RECORD paths) is rewritten.

Usage: python3 relabel_torchvision.py   (with the interpreter whose packages to fix)
"""

import importlib.metadata as metadata
import os
import re
import sys

# torch minor release -> the torchvision release built against it (PyTorch's
# published pairing).
PAIRED = {"2.4": "0.19.0", "2.5": "0.20.0", "2.6": "0.21.0", "2.7": "0.22.0", "2.8": "0.23.0"}


def dist_info_dir(dist):
    """The .dist-info directory a distribution's metadata was read from."""
    for f in dist.files or []:
        if f.name == "METADATA" and f.parent.name.endswith(".dist-info"):
            return str(dist.locate_file(f).parent)
    sys.exit("relabel_torchvision: cannot find the dist-info directory of torchvision")


def main():
    try:
        torch_version = metadata.version("torch")
        dist = metadata.distribution("torchvision")
    except metadata.PackageNotFoundError as e:
        print("relabel_torchvision: %s is not installed; nothing to do" % e.name)
        return
    version = dist.version
    public, _, local = version.partition("+")
    wanted = PAIRED.get(".".join(torch_version.split("+")[0].split(".")[:2]))
    if not local.startswith("metax"):
        print("relabel_torchvision: torchvision %s is not a MetaX build; nothing to do" % version)
        return
    if wanted is None or public.split(".")[:2] == wanted.split(".")[:2]:
        print("relabel_torchvision: torchvision %s fits torch %s; nothing to do" % (version, torch_version))
        return

    new_version = "%s+%s" % (wanted, local)
    old_dir = dist_info_dir(dist)
    parent, old_name = os.path.split(old_dir.rstrip("/"))
    new_name = re.sub(r"^(torchvision-)[^/]+(\.dist-info)$", r"\g<1>%s\g<2>" % new_version, old_name)
    if new_name == old_name:
        sys.exit("relabel_torchvision: unexpected dist-info name %s" % old_name)

    meta_path = os.path.join(old_dir, "METADATA")
    with open(meta_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for i, line in enumerate(lines):
        if line.startswith("Version:"):
            lines[i] = "Version: " + new_version
            break
    with open(meta_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))

    record_path = os.path.join(old_dir, "RECORD")
    if os.path.exists(record_path):
        with open(record_path, encoding="utf-8") as f:
            record = f.read()
        with open(record_path, "w", encoding="utf-8") as f:
            f.write(record.replace(old_name + "/", new_name + "/"))

    os.rename(old_dir, os.path.join(parent, new_name))
    print("relabel_torchvision: %s -> %s (torch %s)" % (version, new_version, torch_version))


if __name__ == "__main__":
    main()
