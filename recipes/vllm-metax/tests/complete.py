"""Ask a running vLLM OpenAI-compatible server for one completion.

Usage: python3 complete.py BASE_URL MODEL_NAME
Prints "COMPLETION: <text>" and exits 1 when the answer is empty or not JSON.
Uses only the standard library, so the check does not depend on curl.
"""

import json
import sys
import urllib.request


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: complete.py BASE_URL MODEL_NAME")
    base, model = sys.argv[1].rstrip("/"), sys.argv[2]
    body = json.dumps({"model": model, "prompt": "The capital of France is",
                       "max_tokens": 16, "temperature": 0}).encode()
    req = urllib.request.Request(base + "/v1/completions", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        answer = json.load(resp)
    text = answer["choices"][0]["text"]
    print("COMPLETION: %r" % text)
    if not text.strip():
        sys.exit("empty completion")


if __name__ == "__main__":
    main()
