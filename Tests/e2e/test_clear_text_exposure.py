"""A gateway told to listen in clear text beyond loopback refuses to start unless the operator
accepts it (`allowClearText`); accepted, it starts and warns. The accepted case runs in a network
namespace whose only interface is `lo`, so 0.0.0.0 reaches nothing beyond this machine."""

import os
import subprocess
import tempfile
import time

from gateway_process import GATEWAY, tls_env
from loopback_ports import free_port

NAMESPACE = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "in-loopback-namespace")


def serve(env, prefix=()):
    data = tempfile.mkdtemp(prefix="gw-exposure-")
    return [*prefix, GATEWAY, "serve"], {**os.environ, "GATEWAY_DATA_DIR": data, "GATEWAY_HTTP_PORT": "0",
                                         "GATEWAY_SIP_PORT": str(free_port()), **env}


def first_listening_line(command, env, log=None):
    """Starts the gateway, returns its `Listening on` line, stops it (SIGTERM, exit 0); its
    stderr is appended to `log`."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = ""
    try:
        deadline = time.time() + 60
        while time.time() < deadline and "Listening on" not in line:
            line = process.stdout.readline()
            if not line:
                break
    finally:
        process.terminate()
        code = process.wait(timeout=20)
    stderr = process.stderr.read()
    if log is not None:
        log.append(stderr)
    assert code == 0, stderr
    return line


def test_clear_text_beyond_loopback_is_refused_unless_accepted():
    command, env = serve({"GATEWAY_BIND_ADDRESS": "0.0.0.0"})
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result
    assert "invalid configuration: bindAddress: 0.0.0.0 would serve REST and signaling in clear text" in result.stderr
    assert "GATEWAY_ALLOW_CLEAR_TEXT=true" in result.stderr and "Listening" not in result.stdout

    command, env = serve({"GATEWAY_SIP_ADDRESS": "0.0.0.0"})
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "invalid configuration: sipAnnouncedAddress: is needed when sipAddress is 0.0.0.0" in result.stderr, result.stderr

    command, env = serve({"GATEWAY_SIP_ADDRESS": "0.0.0.0", "GATEWAY_SIP_ANNOUNCED_ADDRESS": "127.0.0.3"})
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "invalid configuration: sipAddress: 0.0.0.0 would take SIP" in result.stderr

    command, env = serve({"GATEWAY_SIP_ADDRESS": "0.0.0.0", "GATEWAY_SIP_PORT": "0"})
    assert "Listening on http://127.0.0.1:" in first_listening_line(command, env), "SIP off: nothing is exposed"

    command, env = serve({"GATEWAY_BIND_ADDRESS": "0.0.0.0", "GATEWAY_ALLOW_CLEAR_TEXT": "true",
                          "GATEWAY_SEED_DEMO_DATA": "false"}, prefix=(NAMESPACE,))
    log = []
    assert "Listening on http://0.0.0.0:" in first_listening_line(command, env, log)
    assert "serving in clear text beyond loopback (allowClearText)" in log[0], log


def test_beyond_loopback_tls_starts_and_the_demo_data_is_refused(tmp_path):
    """With the TLS files HTTPS and WSS may face the network without any override; the demo
    data's known accounts may not, whatever the overrides."""
    tls = tls_env(tmp_path)
    command, env = serve({"GATEWAY_BIND_ADDRESS": "0.0.0.0", "GATEWAY_ALLOW_CLEAR_TEXT": "true", **tls})
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result
    assert "invalid configuration: seedDemoData: the demo data" in result.stderr, result.stderr
    assert "GATEWAY_SEED_DEMO_DATA=false" in result.stderr and "Listening" not in result.stdout

    command, env = serve({"GATEWAY_BIND_ADDRESS": "0.0.0.0", "GATEWAY_SEED_DEMO_DATA": "false",
                          "GATEWAY_SIP_PORT": "0", **tls}, prefix=(NAMESPACE,))
    log = []
    assert "Listening on https://0.0.0.0:" in first_listening_line(command, env, log)
    assert "clear text" not in log[0], log
