"""Check, without a GPU, that vLLM and vLLM-metax are installed as the build asked.

The build records what it was asked for in /opt/macabox/vllm-metax/expected.txt
(KEY=VALUE lines). This compares that with the installed distributions, and checks
that vllm_metax_init put the plugin's compiled kernels into the vllm package.
Nothing here imports vllm, so no device is opened.
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


def main():
    want = read_expected()
    problems = []
    vllm = metadata.version("vllm")
    plugin = metadata.version("vllm_metax")
    print("vllm %s (expected %s)" % (vllm, want["vllm"]))
    print("vllm_metax %s (expected %s)" % (plugin, want["vllm"]))
    if vllm.split("+")[0] != want["vllm"]:
        problems.append("vllm is %s, not %s" % (vllm, want["vllm"]))
    # The plugin's version is the vLLM version it targets, plus a local label
    # naming the MACA and torch it was built with.
    if not plugin.startswith(want["vllm"]):
        problems.append("vllm_metax is %s, not built for vllm %s" % (plugin, want["vllm"]))

    plugins = [e.value for e in metadata.entry_points(group="vllm.platform_plugins")]
    print("vllm.platform_plugins:", ", ".join(plugins) or "none")
    if "vllm_metax:register" not in plugins:
        problems.append("the vllm_metax platform plugin is not registered")

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
