"""Starts the gateway executable on a fresh data folder and a free port, for tests."""

import json
import os
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

GATEWAY = os.environ.get("GATEWAY_BIN", ".build/debug/gateway")


def free_sip_port():
    """A port free for both UDP and TCP on loopback (SIP listens on both)."""
    import socket
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    continue
    raise RuntimeError("no free SIP port")


class GatewayProcess:
    def __init__(self, data_dir=None, extra_env=None, prefix=()):
        """`prefix`: a command the gateway runs under (for example `prlimit --nofile=…`)."""
        self.data = data_dir or tempfile.mkdtemp(prefix="gw-test-")
        env = dict(os.environ, GATEWAY_DATA_DIR=self.data, GATEWAY_HTTP_PORT="0", GATEWAY_BIND_ADDRESS="127.0.0.1",
                   GATEWAY_MEDIA_ADDRESS="127.0.0.1", GATEWAY_SIP_PORT=str(free_sip_port()))
        env.update(extra_env or {})
        # Logs go to a file: a pipe nobody reads fills up and then blocks the gateway's logging.
        self.log_path = os.path.join(self.data, "gateway.log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen([*prefix, GATEWAY, "serve"], stdout=subprocess.PIPE, stderr=self.log_file, env=env, text=True)
        self.lines = []
        self.port = None
        self.sip_port = None
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("gateway exited: " + self.log())
            self.lines.append(line)
            sip = re.search(r"SIP on 127\.0\.0\.1:(\d+)", line)
            if sip:
                self.sip_port = int(sip.group(1))
            match = re.search(r"Listening on http://127\.0\.0\.1:(\d+)", line)
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
        self.base = f"http://127.0.0.1:{self.port}"

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
            match = re.match(r"  (\S.*?)\s+(http://\S+)$", line.rstrip("\n"))
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
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

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
