"""The image's HEALTHCHECK: GET /healthz where gunicorn listens (TOMTAT_HOST, TOMTAT_PORT).

Exit 0 when it answers 200, else 1. An address that means "every address" (0.0.0.0, ::, empty)
is reached on loopback.
"""

import os
import sys
import urllib.request

host = os.environ.get("TOMTAT_HOST", "127.0.0.1").strip("[]")
if host in ("", "0.0.0.0", "::"):
    host = "127.0.0.1"
if ":" in host:
    host = f"[{host}]"
port = os.environ.get("TOMTAT_PORT", "8080")
try:
    with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=4) as resp:
        sys.exit(0 if resp.status == 200 else 1)
except OSError as exc:
    print(f"healthcheck: http://{host}:{port}/healthz: {exc}", file=sys.stderr)
    sys.exit(1)
