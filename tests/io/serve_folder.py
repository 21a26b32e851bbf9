"""Serves a folder on the loopback interface for the C++ download tests, with Range requests
honoured or not: `serve_folder.py ROOT URL_FILE LOG_FILE [--ignore-range]` writes the server's
URL to URL_FILE, appends each request ("GET path range" or "HEAD path") to LOG_FILE, and serves
until killed."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from range_server import RangeServer  # noqa: E402


class _Log(list):
    def __init__(self, path):
        super().__init__()
        self.path = path

    def append(self, request):
        super().append(request)
        kind, rest = ("HEAD", request[1]) if request[0] == "HEAD" else ("GET", request[0])
        extra = "" if kind == "HEAD" else f" {request[1]}"
        with open(self.path, "a") as f:
            f.write(f"{kind} {rest}{extra}\n")


root, url_file, log_file = sys.argv[1:4]
with RangeServer(root, honour_range="--ignore-range" not in sys.argv) as server:
    server.httpd.requests = _Log(log_file)
    Path(url_file + ".tmp").write_text(server.url)
    Path(url_file + ".tmp").rename(url_file)
    while True:
        time.sleep(3600)
