"""Command line of macabox-demo.

  macabox-demo --version          print the version
  macabox-demo report [--json]    MACA version, simulation flag, torch build
  macabox-demo devices            GPUs torch can see; exit 1 when there are none
  macabox-demo serve [--port N]   serve /health and /report over HTTP on 127.0.0.1
"""

import argparse
import http.server
import json
import os
import platform
import sys

from macabox_demo import __version__


def maca_version(maca_path):
    """The version in the first line of Version.txt ("Version:3.0.0.5"), or None."""
    try:
        with open(os.path.join(maca_path, "Version.txt"), encoding="utf-8") as f:
            first = f.readline().strip()
    except OSError:
        return None
    key, sep, value = first.partition(":")
    return value.strip() if sep and key.strip() == "Version" else None


def report():
    maca_path = os.environ.get("MACA_PATH", "/opt/maca")
    info = {
        "tool": "macabox-demo %s" % __version__,
        "maca_path": maca_path,
        "maca_version": maca_version(maca_path),
        "simulated": os.path.exists(os.path.join(maca_path, "SIMULATED")),
        "python": platform.python_version(),
        "torch": None,
        "vendor_torch": False,
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["vendor_torch"] = "+metax" in torch.__version__
    except ImportError:
        pass
    return info


def devices():
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return [torch.cuda.get_device_name(i) for i in range(count)]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"status": "ok"})
        elif self.path == "/report":
            self.reply(200, report())
        else:
            self.reply(404, {"error": "not found", "paths": ["/health", "/report"]})

    def reply(self, code, body):
        data = (json.dumps(body, sort_keys=True) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("macabox-demo: " + fmt % args + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="macabox-demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version="macabox-demo " + __version__)
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="what MACA and torch this container has")
    rep.add_argument("--json", action="store_true", help="print JSON")
    sub.add_parser("devices", help="GPUs torch can see")
    srv = sub.add_parser("serve", help="serve the report over HTTP")
    srv.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)

    if args.command == "report":
        info = report()
        if args.json:
            print(json.dumps(info, sort_keys=True))
        else:
            print("maca %s at %s%s" % (info["maca_version"], info["maca_path"],
                                       " (SIMULATED)" if info["simulated"] else ""))
            print("torch %s%s" % (info["torch"], " (vendor build)" if info["vendor_torch"] else ""))
            print("python %s" % info["python"])
        return 0
    if args.command == "devices":
        names = devices()
        print("GPUs: %d" % len(names))
        for i, name in enumerate(names):
            print("GPU#%d %s" % (i, name))
        return 0 if names else 1
    server = http.server.HTTPServer(("127.0.0.1", args.port), Handler)
    print("macabox-demo serving on http://127.0.0.1:%d" % args.port, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
