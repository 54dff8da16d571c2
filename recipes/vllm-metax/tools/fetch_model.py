"""Fetch the small model the vLLM smoke tests run, at a pinned revision.

Usage: python3 fetch_model.py REPO_ID REVISION DEST
  REPO_ID "none" skips the download: the device tests then expect a model
  mounted at DEST (docker run -v /path/to/model:DEST:ro ...).

The download goes through huggingface_hub, which vLLM already depends on; set
HF_ENDPOINT to use a mirror.
"""

import os
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: fetch_model.py REPO_ID REVISION DEST")
    repo, revision, dest = sys.argv[1:]
    if repo == "none":
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        print("fetch_model: no smoke model baked in; mount one at %s" % dest)
        return
    from huggingface_hub import snapshot_download

    path = snapshot_download(repo_id=repo, revision=revision, local_dir=dest)
    with open(os.path.join(dest, "MACABOX-SOURCE.txt"), "w", encoding="utf-8") as f:
        f.write("%s@%s\n" % (repo, revision))
    print("fetch_model: %s@%s -> %s" % (repo, revision, path))


if __name__ == "__main__":
    main()
