"""A loopback HTTP server for download tests: serves a folder, honours Range requests
(or ignores them on request), can pace its replies like a slow link, and records what was
asked for."""
import http.server
import os
import threading
import time
from pathlib import Path


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_HEAD(self):
        """The size a download would have; recorded as ("HEAD", path)."""
        server = self.server
        path = Path(os.path.normpath(server.root / self.path.lstrip("/").split("?")[0]))
        server.requests.append(("HEAD", self.path))
        if server.root not in path.parents or not path.is_file():
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(server.head_size or path.stat().st_size))
        self.end_headers()

    def do_GET(self):
        server = self.server
        path = Path(os.path.normpath(server.root / self.path.lstrip("/").split("?")[0]))
        ranged = self.headers.get("Range")
        server.requests.append((self.path, ranged))
        if server.root not in path.parents or not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        if ranged and server.honour_range and ranged.startswith("bytes="):
            first, _, last = ranged[len("bytes="):].partition("-")
            start = int(first)
            end = int(last) + 1 if last else len(data)
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
            data = data[start:end]
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not server.chunk_delay:
            self.wfile.write(data)
            return
        for at in range(0, len(data), 65536):  # a slow link: 64 KiB, then a pause
            try:
                self.wfile.write(data[at:at + 65536])
            except (BrokenPipeError, ConnectionResetError):
                return
            time.sleep(server.chunk_delay)


class RangeServer:
    """`with RangeServer(folder) as server:` serves folder at server.url (127.0.0.1 only)."""

    def __init__(self, root, honour_range=True, chunk_delay=0.0, head_size=None):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.root = Path(os.path.realpath(root))
        self.httpd.requests = []
        self.httpd.honour_range = honour_range
        self.httpd.chunk_delay = chunk_delay
        self.httpd.head_size = head_size  # what HEAD claims (a large download, for tests)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def requests(self):
        return self.httpd.requests

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
