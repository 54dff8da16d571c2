"""Ask a running mineru-api to parse one PDF and print the Markdown it returns.

Usage: python3 api_probe.py BASE_URL PDF [BACKEND]   (BACKEND defaults to pipeline)

POSTs the file to BASE_URL/file_parse as a multipart form with return_md=true,
the fields MinerU's API reads (mineru/cli/fast_api.py), and prints
"MARKDOWN: <text>" for every result. Exits 1 when the answer has no Markdown.
Uses only the standard library, so the probe does not depend on curl or on
packages the image may lack.
"""

import json
import os
import sys
import urllib.request
import uuid


def form(fields, file_field, path):
    """Encode fields and one file as multipart/form-data."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(
            "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (boundary, name, value)
        )
    with open(path, "rb") as f:
        content = f.read()
    head = (
        "--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
        "Content-Type: application/pdf\r\n\r\n" % (boundary, file_field, os.path.basename(path))
    )
    body = "".join(parts).encode() + head.encode() + content + ("\r\n--%s--\r\n" % boundary).encode()
    return body, "multipart/form-data; boundary=" + boundary


def markdown(answer):
    """Every md_content in the answer, wherever the API version puts it."""
    if isinstance(answer, dict):
        for key, value in answer.items():
            if key == "md_content" and isinstance(value, str):
                yield value
            else:
                yield from markdown(value)
    elif isinstance(answer, list):
        for item in answer:
            yield from markdown(item)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: api_probe.py BASE_URL PDF [BACKEND]")
    base, pdf = sys.argv[1].rstrip("/"), sys.argv[2]
    backend = sys.argv[3] if len(sys.argv) == 4 else "pipeline"
    body, ctype = form([("backend", backend), ("return_md", "true")], "files", pdf)
    req = urllib.request.Request(base + "/file_parse", data=body, headers={"Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=1800) as resp:
        answer = json.load(resp)
    found = list(markdown(answer))
    for text in found:
        print("MARKDOWN: %s" % " ".join(text.split()))
    if not any(t.strip() for t in found):
        sys.exit("no Markdown in the answer: %s" % json.dumps(answer)[:500])


if __name__ == "__main__":
    main()
