#!/usr/bin/env python3
"""An operator's own web site with a "Call us" button, in the Python standard library only.

It serves index.html and one endpoint, POST /token: it asks the gateway for a short-lived
WebRTC token for an anonymous visitor, with the operator's API key, which never reaches the
browser. The page then loads the SDK from the gateway and calls the contact center.

    CALLGATEWAY_URL=https://gateway.example.com CALLGATEWAY_API_KEY=cgw_... \
        python3 Examples/call-us/server.py --port 8000

For a gateway with a private or self-signed certificate, CALLGATEWAY_CA_FILE names the PEM file
to trust. In production put this behind your own TLS (browsers give a microphone only to HTTPS
pages and localhost) and rate-limit /token like any anonymous endpoint.
"""

import argparse
import json
import os
import secrets
import ssl
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Site(BaseHTTPRequestHandler):
    gateway = ""
    api_key = ""
    context = None

    def do_GET(self):
        if self.path not in ("/", "/index.html"):
            return self.reply(404, "text/plain", b"not found\n")
        page = (HERE / "index.html").read_text().replace("{{GATEWAY}}", self.gateway)
        self.reply(200, "text/html; charset=utf-8", page.encode())

    def do_POST(self):
        if self.path != "/token":
            return self.reply(404, "text/plain", b"not found\n")
        body = json.dumps({"identity": "visitor-" + secrets.token_hex(8), "displayName": "Web visitor",
                           "timeToLive": 3600}).encode()
        request = urllib.request.Request(self.gateway + "/webrtc/1/token", data=body, method="POST", headers={
            "Authorization": "App " + self.api_key, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10, context=self.context) as response:
                token = json.loads(response.read())["token"]
        except (urllib.error.URLError, KeyError, ValueError) as error:
            self.log_error("token request failed: %s", error)
            return self.reply(502, "application/json", b'{"error": "the contact center cannot be reached"}')
        self.reply(200, "application/json", json.dumps({"token": token}).encode())

    def reply(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    Site.gateway = os.environ.get("CALLGATEWAY_URL", "http://127.0.0.1:8080").rstrip("/")
    Site.api_key = os.environ["CALLGATEWAY_API_KEY"]
    ca_file = os.environ.get("CALLGATEWAY_CA_FILE")
    Site.context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    server = ThreadingHTTPServer((args.host, args.port), Site)
    print(f"Call-us page on http://{args.host}:{server.server_port}/ (gateway {Site.gateway})", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
