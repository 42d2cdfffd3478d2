#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A local stand-in for a token-protected JSON API (the user guide's "fetch my GitHub repos"):
# answers 200 with a JSON list of repositories only when the request carries
# "Authorization: Bearer <token>" with the token read from --token-file, else 401. Every request
# is logged as one JSON line: method, path, auth ("ok" | "wrong" | "none") and the SHA-256 of the
# presented token, so a test can tell the token arrived without the log holding it in clear.
# Usage: bearer-server.py --token-file F --log F --port-file F [--host 127.0.0.1] [--port 0]
import argparse
import hashlib
import hmac
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPOS = [
    {"id": 1, "name": "secretctl", "full_name": "example/secretctl", "private": False},
    {"id": 2, "name": "dotfiles", "full_name": "example/dotfiles", "private": True},
    {"id": 3, "name": "website", "full_name": "example/website", "private": False},
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    with open(a.token_file, "rb") as f:
        token = f.read().strip()
    if not token:
        sys.exit("bearer-server: empty token")

    class Handler(BaseHTTPRequestHandler):
        server_version = "bearer-fixture/1"

        def log_message(self, fmt, *args):  # the JSON log below replaces stderr chatter
            pass

        def answer(self):
            got = self.headers.get("Authorization")
            presented = None
            if got is None:
                auth = "none"
            elif got.startswith("Bearer "):
                presented = got[len("Bearer "):].strip().encode()
                auth = "ok" if hmac.compare_digest(presented, token) else "wrong"
            else:
                auth = "wrong"
            rec = {"method": self.command, "path": self.path, "auth": auth,
                   "token_sha256": hashlib.sha256(presented).hexdigest() if presented is not None else None}
            with open(a.log, "a") as f:
                f.write(json.dumps(rec) + "\n")
            if auth == "ok":
                status, body = 200, REPOS
            else:
                status, body = 401, {"message": "Bad credentials" if got else "Requires authentication"}
            data = (json.dumps(body, indent=2) + "\n").encode()
            self.send_response(status)
            if status == 401:
                self.send_header("WWW-Authenticate", 'Bearer realm="fixture"')
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_HEAD = answer

    httpd = ThreadingHTTPServer((a.host, a.port), Handler)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % httpd.server_address[1])
    os.rename(tmp, a.port_file)  # readers never see a half-written file
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
