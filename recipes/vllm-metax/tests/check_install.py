"""Check, without a GPU, that vLLM and vLLM-metax are installed as the build asked.

The build records what it was asked for in /opt/macabox/vllm-metax/expected.txt
(KEY=VALUE lines: vllm, vllm_metax_commit and, on the mcoplib lines, mcoplib).
This compares that with the installed distributions and checks where the
plugin's kernels come from: on the 3.0-era branches vllm_metax_init copies them
into the vllm package; from v0.11.2 on they ship in the mcoplib wheel. Nothing
here imports vllm, so no device is opened.
"""

import importlib.metadata as metadata
import importlib.util
import os
import sys

EXPECTED = "/opt/macabox/vllm-metax/expected.txt"


def read_expected():
    values = {}
    with open(EXPECTED, encoding="utf-8") as f:
        for line in f:
            key, sep, value = line.strip().partition("=")
            if sep:
                values[key] = value
    return values


def release(version):
    """The major.minor series of a version string."""
    return ".".join(version.split("+")[0].split(".")[:2])


def main():
    want = read_expected()
    problems = []
    vllm = metadata.version("vllm")
    plugin = metadata.version("vllm_metax")
    print("vllm %s (expected %s)" % (vllm, want["vllm"]))
    print("vllm_metax %s (expected %s)" % (plugin, want["vllm"]))
    # A PyPI release reports its version (0.9.1); a build from a release
    # branch reports the next development version (0.22.1.dev0+g...), so
    # the release series is what is compared.
    if release(vllm) != release(want["vllm"]):
        problems.append("vllm is %s, not of the %s series" % (vllm, want["vllm"]))
    # The plugin's version is the vLLM version it targets, plus a local label
    # naming the MACA and torch it was built with.
    if not plugin.startswith(want["vllm"]):
        problems.append("vllm_metax is %s, not built for vllm %s" % (plugin, want["vllm"]))

    plugins = [e.value for e in metadata.entry_points(group="vllm.platform_plugins")]
    print("vllm.platform_plugins:", ", ".join(plugins) or "none")
    if "vllm_metax:register" not in plugins:
        problems.append("the vllm_metax platform plugin is not registered")

    if "mcoplib" in want:
        try:
            mcoplib = metadata.version("mcoplib")
        except metadata.PackageNotFoundError:
            mcoplib = "not installed"
        print("mcoplib %s (expected %s)" % (mcoplib, want["mcoplib"]))
        if mcoplib != want["mcoplib"]:
            problems.append("mcoplib is %s, not %s" % (mcoplib, want["mcoplib"]))
    else:
        spec = importlib.util.find_spec("vllm")
        vllm_dir = list(spec.submodule_search_locations)[0]
        for name in ("_C.abi3.so", "_moe_C.abi3.so"):
            present = os.path.exists(os.path.join(vllm_dir, name))
            print("vllm/%s: %s" % (name, "present" if present else "MISSING"))
            if not present:
                problems.append("vllm/%s is missing: vllm_metax_init did not run" % name)

    if problems:
        for p in problems:
            print("PROBLEM:", p)
        sys.exit(1)
    print("install OK")


if __name__ == "__main__":
    main()
