"""Starts the gateway executable on a fresh data folder and a free port, for tests."""

import json
import os
import re
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from loopback_ports import free_port

GATEWAY = os.environ.get("GATEWAY_BIN", ".build/debug/gateway")
DEV_CERT_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Certs", "make-dev-cert.sh")


def make_dev_certificate(folder):
    """A fresh self-signed certificate for localhost and 127.0.0.1 in `folder`, by the project's
    Certs/make-dev-cert.sh: (certificate path, key path, SHA-256 fingerprint as openssl prints it)."""
    out = subprocess.run(["bash", DEV_CERT_SCRIPT, str(folder)], check=True, capture_output=True, text=True).stdout
    fingerprint = out.strip().split("=", 1)[1]
    return os.path.join(folder, "dev-cert.pem"), os.path.join(folder, "dev-key.pem"), fingerprint


def tls_env(folder, sip_tls_port=None):
    """The gateway's environment for HTTPS/WSS (and SIP over TLS on `sip_tls_port`) with a fresh
    development certificate made in `folder`."""
    cert, key, _ = make_dev_certificate(folder)
    env = {"GATEWAY_TLS_CERTIFICATE_FILE": cert, "GATEWAY_TLS_KEY_FILE": key}
    if sip_tls_port:
        env["GATEWAY_SIP_TLS_PORT"] = str(sip_tls_port)
    return env


class GatewayProcess:
    def __init__(self, data_dir=None, extra_env=None, prefix=()):
        """`prefix`: a command the gateway runs under (for example `prlimit --nofile=…`)."""
        self.data = data_dir or tempfile.mkdtemp(prefix="gw-test-")
        env = dict(os.environ, GATEWAY_DATA_DIR=self.data, GATEWAY_HTTP_PORT="0", GATEWAY_BIND_ADDRESS="127.0.0.1",
                   GATEWAY_MEDIA_ADDRESS="127.0.0.1", GATEWAY_SIP_PORT=str(free_port()))
        env.update(extra_env or {})
        # Logs go to a file: a pipe nobody reads fills up and then blocks the gateway's logging.
        self.log_path = os.path.join(self.data, "gateway.log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen([*prefix, GATEWAY, "serve"], stdout=subprocess.PIPE, stderr=self.log_file, env=env, text=True)
        self.lines = []
        self.port = None
        self.sip_port = None
        self.sip_tls_port = None
        # Over TLS, clients trust the gateway's own (self-signed) certificate file.
        certificate = env.get("GATEWAY_TLS_CERTIFICATE_FILE")
        self.ssl_cafile = certificate
        self.ssl_context = ssl.create_default_context(cafile=certificate) if certificate else None
        self.scheme = "https" if certificate else "http"
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("gateway exited: " + self.log())
            self.lines.append(line)
            sip = re.search(r"SIP on 127\.0\.0\.1:(\d+)", line)
            if sip:
                self.sip_port = int(sip.group(1))
            sip_tls = re.search(r"SIP over TLS on 127\.0\.0\.1:(\d+)", line)
            if sip_tls:
                self.sip_tls_port = int(sip_tls.group(1))
            match = re.search(rf"Listening on {self.scheme}://127\.0\.0\.1:(\d+)", line)
            if match:
                self.port = int(match.group(1))
                break
        assert self.port, "gateway did not report its port"
        # A first start prints the demo's sign-in links once the port is known.
        if any("First start" in line for line in self.lines):
            while not any("Demo customer" in line for line in self.lines):
                assert time.time() < deadline, "gateway did not print the demo's sign-in links"
                line = self.proc.stdout.readline()
                if not line:
                    raise RuntimeError("gateway exited: " + self.log())
                self.lines.append(line)
        self.base = f"{self.scheme}://127.0.0.1:{self.port}"
        self.ws_base = f"{'wss' if self.ssl_context else 'ws'}://127.0.0.1:{self.port}"

    def seeded_key(self):
        """The API key printed by a first start, or None."""
        for line in self.lines:
            if "API key" in line:
                return line.split()[-1]
        return None

    def sign_in_links(self):
        """{display name: URL} of the sign-in links printed by a first start."""
        links = {}
        for line in self.lines:
            match = re.match(r"  (\S.*?)\s+(https?://\S+)$", line.rstrip("\n"))
            if match:
                links[match.group(1)] = match.group(2)
        return links

    def request(self, method, path, key=None, body=None, agent=None):
        """(status, parsed JSON body)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if key:
            req.add_header("Authorization", f"App {key}")
        if agent:
            req.add_header("x-agent-id", agent)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10, context=self.ssl_context) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def metrics(self, ssl_context=None):
        """The Prometheus text of /metrics (over TLS trusting `ssl_context`, else the start's)."""
        with urllib.request.urlopen(self.base + "/metrics", timeout=10, context=ssl_context or self.ssl_context) as reply:
            return reply.read().decode()

    def counter(self, name, ssl_context=None):
        """The summed value of the /metrics lines starting with `name` (a metric, or a metric
        with its labels)."""
        return sum(float(line.rsplit(" ", 1)[1]) for line in self.metrics(ssl_context).splitlines()
                   if line.startswith(name))

    def log(self):
        """What the gateway wrote to stderr so far."""
        self.log_file.flush()
        with open(self.log_path) as f:
            return f.read()

    def wait_stopped(self, timeout=20):
        """Waits for the process to exit; returns (exit code, stderr)."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.returncode, self.log()

    def stop(self):
        """SIGTERM, then (exit code, stderr)."""
        self.proc.terminate()
        return self.wait_stopped()
