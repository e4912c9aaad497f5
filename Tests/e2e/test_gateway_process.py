"""End-to-end tests of the gateway executable: start-up, demo seed, REST, signaling,
SIGTERM shutdown, persistence across restarts, the api-key subcommand and bad configuration."""

import asyncio
import json
import os
import re
import signal
import subprocess
import tempfile
import urllib.request

import pytest
import websockets

from gateway_process import GATEWAY, GatewayProcess


def Gateway(data_dir, extra_env=None):
    return GatewayProcess(data_dir, extra_env)


def cli(data_dir, *args):
    env = dict(os.environ, GATEWAY_DATA_DIR=data_dir)
    return subprocess.run([GATEWAY, *args], env=env, capture_output=True, text=True, timeout=60)


async def signaling_session(gateway, token):
    url = f"ws://127.0.0.1:{gateway.port}/webrtc/1/signaling?token={token}"
    async with websockets.connect(url) as ws:
        welcome = json.loads(await ws.recv())
        await ws.send(json.dumps({"type": "ping", "id": "e2e"}))
        frames = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
        return welcome, frames


def test_first_start_shutdown_restart_and_keys():
    data = tempfile.mkdtemp(prefix="gw-e2e-")
    gw = Gateway(data)
    key = gw.seeded_key()
    assert key and key.startswith("cgw_"), gw.lines
    status, health = gw.request("GET", "/health")
    assert status == 200 and health["status"] == "UP"

    status, agents = gw.request("GET", "/ccaas/1/agents", key=key)
    assert status == 200 and agents["pagination"]["totalItems"] == 3
    alice = next(a for a in agents["agents"] if a["displayName"] == "Alice Agent")
    status, conversation = gw.request("POST", "/ccaas/1/conversations", key=key, body={"topic": "e2e"})
    assert status == 200
    status, _ = gw.request("PUT", f"/ccaas/1/conversations/{conversation['id']}/assignee", key=key,
                           body={"agentId": alice["id"]})
    assert status == 200
    status, sent = gw.request("POST", f"/ccaas/1/conversations/{conversation['id']}/messages", key=key, agent=alice["id"],
                              body={"from": "a", "to": "b", "channel": "SMS", "contentType": "TEXT", "content": {"text": "kept"}})
    assert status == 200, sent

    # The agent's token opens the signaling socket; the server answers ping and pushes state.
    status, token = gw.request("POST", "/webrtc/1/token", key=key, body={"identity": alice["id"]})
    assert status == 200
    welcome, frames = asyncio.run(signaling_session(gw, token["token"]))
    assert welcome["type"] == "welcome" and welcome["kind"] == "agent"
    assert {f["type"] for f in frames} == {"pong", "agent.state"}

    metrics = urllib.request.urlopen(gw.base + "/metrics", timeout=5).read().decode()
    assert 'gateway_signaling_messages_total{type="ping"} 1' in metrics

    # SIGTERM closes open sockets with a reason, flushes the store and exits 0.
    async def held_open():
        async with websockets.connect(f"ws://127.0.0.1:{gw.port}/webrtc/1/signaling?token={token['token']}") as ws:
            await ws.recv()
            gw.proc.send_signal(signal.SIGTERM)
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
            except websockets.ConnectionClosed as closed:
                return closed.rcvd
    close = asyncio.run(held_open())
    assert close is not None and close.code == 1001 and close.reason == "server shutting down"
    code, err = gw.wait_stopped()
    assert code == 0, err
    assert "store flushed and closed" in err

    # Keys are managed while the gateway is stopped; a second start does not seed again.
    created = cli(data, "api-key", "create", "--name", "ops")
    assert created.returncode == 0, created.stderr
    ops_key = re.search(r"secret: (\S+)", created.stdout).group(1)
    listed = cli(data, "api-key", "list")
    assert "demo" in listed.stdout and "ops" in listed.stdout
    assert cli(data, "api-key", "revoke", "NOPE").returncode == 1

    gw = Gateway(data)
    assert gw.seeded_key() is None
    status, agents = gw.request("GET", "/ccaas/1/agents", key=ops_key)
    assert status == 200 and agents["pagination"]["totalItems"] == 3
    status, messages = gw.request("GET", f"/ccaas/1/conversations/{conversation['id']}/messages", key=ops_key)
    assert status == 200 and messages["messages"][0]["content"]["text"] == "kept"
    demo_id = re.search(r"^(\S+)\s+demo", listed.stdout, re.M).group(1)
    code, _ = gw.stop()
    assert code == 0
    assert cli(data, "api-key", "revoke", demo_id).returncode == 0
    gw = Gateway(data)
    status, body = gw.request("GET", "/ccaas/1/agents", key=key)
    assert status == 401 and body["requestError"]["serviceException"]["messageId"] == "UNAUTHORIZED"
    gw.stop()


def test_bad_configuration_stops_start_up_naming_the_key():
    data = tempfile.mkdtemp(prefix="gw-e2e-")
    result = subprocess.run([GATEWAY, "serve"], env=dict(os.environ, GATEWAY_DATA_DIR=data, GATEWAY_HEARTBEAT_TIMEOUT="abc"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "invalid configuration: heartbeatTimeoutSeconds: must be an integer, got 'abc'" in result.stderr
    config = os.path.join(data, "gateway.json")
    with open(config, "w") as f:
        json.dump({"httpPort": 0, "logFormat": "xml"}, f)
    result = subprocess.run([GATEWAY, "serve", "--config", config], env=dict(os.environ, GATEWAY_DATA_DIR=data),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "logFormat" in result.stderr


def test_json_logs_and_no_seed_when_disabled():
    data = tempfile.mkdtemp(prefix="gw-e2e-")
    gw = Gateway(data, {"GATEWAY_LOG_FORMAT": "json", "GATEWAY_SEED_DEMO_DATA": "false"})
    assert gw.seeded_key() is None
    code, err = gw.stop()
    assert code == 0
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(line["message"].startswith("gateway stopped") for line in lines)
    assert all({"time", "level", "label", "message"} <= set(line) for line in lines)
