"""SQLite under concurrent writers: REST clients creating conversations and messages on eight
threads, the load generator's calls (records, conversations, wrap-up) and `gateway api-key
create` writing the same database from another process, all at once. Every request succeeds:
no client ever sees "database is locked". Loopback only."""

import os
import subprocess
import threading

from gateway_process import GATEWAY
from headless import figures, start
from peers import Gateway

THREADS = 8
WRITES = 25


def test_rest_calls_and_another_process_write_at_once_and_every_write_succeeds():
    gateway = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60", "GATEWAY_MAX_REQUESTS_PER_SECOND": "10000"})
    failures = []
    try:
        generator = start(["load", "--gateway", gateway.base, "--api-key", gateway.key, "--count", "6",
                           "--rate", "6", "--duration", "6", "--json"])

        def rest_writer(n):
            for i in range(WRITES):
                status, conversation = gateway.request_raw("POST", "/ccaas/1/conversations", {"topic": f"w{n}-{i}"})
                if status != 200:
                    failures.append((status, conversation))
                    continue
                status, reply = gateway.request_raw(
                    "POST", f"/ccaas/1/conversations/{conversation['id']}/messages",
                    {"from": "a", "to": "b", "channel": "SMS", "contentType": "TEXT", "content": {"text": f"{i}"}})
                if status != 200:
                    failures.append((status, reply))

        def cli_writer():
            env = dict(os.environ, GATEWAY_DATA_DIR=gateway.data)
            for i in range(10):
                done = subprocess.run([GATEWAY, "api-key", "create", "--name", f"ops-{i}"], env=env,
                                      capture_output=True, text=True, timeout=60)
                if done.returncode != 0:
                    failures.append(("cli", done.stderr))

        threads = [threading.Thread(target=rest_writer, args=(n,)) for n in range(THREADS)]
        threads.append(threading.Thread(target=cli_writer))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        out, err = generator.communicate(timeout=180)
        assert not failures, failures[:5]
        assert generator.returncode == 0, err
        assert figures(out.splitlines())[-1]["failedCalls"] == 0
        assert "locked" not in gateway.log().lower()
        listed = gateway.request("GET", "/ccaas/1/conversations?limit=1")
        assert listed["pagination"]["totalItems"] >= THREADS * WRITES, listed["pagination"]
    finally:
        gateway.stop()
