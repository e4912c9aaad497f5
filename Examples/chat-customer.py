#!/usr/bin/env python3
"""A customer's LIVE_CHAT over the signaling WebSocket.

usage: chat-customer.py BASE_URL API_KEY IDENTITY "message"
e.g.   chat-customer.py http://127.0.0.1:8080 cgw_… visitor-1 "Hello, I need help"

Needs `pip install websockets`. Sends one message, then prints what arrives for 30 s.
"""
import asyncio
import json
import sys
import urllib.request

import websockets


async def main(base, key, identity, text):
    request = urllib.request.Request(
        f"{base}/webrtc/1/token", method="POST", data=json.dumps({"identity": identity}).encode(),
        headers={"Authorization": f"App {key}", "Content-Type": "application/json"})
    token = json.load(urllib.request.urlopen(request))["token"]
    async with websockets.connect(base.replace("http", "ws", 1) + f"/webrtc/1/signaling?token={token}") as ws:
        print(json.loads(await ws.recv()))
        await ws.send(json.dumps({"type": "chat.send", "id": "1", "content": {"text": text}}))
        try:
            while True:
                print(json.loads(await asyncio.wait_for(ws.recv(), 30)))
        except asyncio.TimeoutError:
            pass


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
