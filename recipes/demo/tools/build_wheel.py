"""Build the macabox-demo wheel from its sources, with the standard library only.

The demo stack runs where no package index is reachable, so no build backend
(setuptools, hatchling...) can be fetched. A pure-Python wheel is a zip file with
a small set of metadata files (PEP 427, PEP 566), which this script writes
directly. Entries are sorted and dated 1980-01-01 so the wheel's bytes depend on
the sources alone.

Usage: python3 build_wheel.py SRC_DIR OUT_DIR
"""

import base64
import hashlib
import os
import sys
import zipfile

NAME = "macabox_demo"
DIST = "macabox-demo"
VERSION = "0.1.0"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

METADATA = """Metadata-Version: 2.1
Name: {dist}
Version: {version}
Summary: Reports what a MACA container provides (macabox demo application)
License: Apache-2.0
Requires-Python: >=3.8
Requires-Dist: torch>=2
""".format(dist=DIST, version=VERSION)

WHEEL = """Wheel-Version: 1.0
Generator: macabox build_wheel.py
Root-Is-Purelib: true
Tag: py3-none-any
"""

ENTRY_POINTS = """[console_scripts]
macabox-demo = macabox_demo.__main__:main
"""


def record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d\n" % (path, digest, len(data))


def package_files(src):
    """(archive path, bytes) of every .py file of the package, sorted."""
    root = os.path.join(src, NAME)
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, src).replace(os.sep, "/")
                with open(full, "rb") as f:
                    files.append((rel, f.read()))
    return sorted(files)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: build_wheel.py SRC_DIR OUT_DIR")
    src, out = sys.argv[1:]
    distinfo = "%s-%s.dist-info" % (NAME, VERSION)
    files = package_files(src)
    if not files:
        sys.exit("build_wheel: no %s package under %s" % (NAME, src))
    files += [
        (distinfo + "/METADATA", METADATA.encode()),
        (distinfo + "/WHEEL", WHEEL.encode()),
        (distinfo + "/entry_points.txt", ENTRY_POINTS.encode()),
        (distinfo + "/top_level.txt", (NAME + "\n").encode()),
    ]
    record = "".join(record_line(p, d) for p, d in files) + distinfo + "/RECORD,,\n"
    files.append((distinfo + "/RECORD", record.encode()))

    os.makedirs(out, exist_ok=True)
    wheel = os.path.join(out, "%s-%s-py3-none-any.whl" % (NAME, VERSION))
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in files:
            info = zipfile.ZipInfo(path, ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    print(wheel)


if __name__ == "__main__":
    main()
