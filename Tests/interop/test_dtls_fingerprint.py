"""A WebRTC peer whose DTLS certificate does not match the fingerprint its SDP announced (as if
a man in the middle answered the handshake) is refused: its call ends with MEDIA_FAILURE saying
why, no audio flows, and `/metrics` counts it. The peer is aiortc, whose offer's fingerprint is
swapped for another certificate's. Loopback only."""

import asyncio
import re
import urllib.request

from peers import Peer, Signaling, wait_for


def dtls_refused(gateway):
    with urllib.request.urlopen(gateway.base + "/metrics", timeout=5) as reply:
        text = reply.read().decode()
    return int(re.search(r'gateway_media_dtls_refused_total\{reason="fingerprint_mismatch"\} (\d+)', text).group(1))


def test_a_dtls_certificate_that_does_not_match_the_sdp_fingerprint_is_refused(gateway):
    async def scenario():
        before = dtls_refused(gateway)
        # An agent is signed in, so the call waits for them rather than ending at once.
        alice = await Signaling.connect(gateway, gateway.agents["Alice Agent"])
        signaling = await Signaling.connect(gateway, "customer-impostor")
        customer = Peer(440)
        other = Peer(440)
        try:
            offer = await customer.offer()
            foreign = re.search(r"a=fingerprint:sha-256 ([0-9A-F:]+)", await other.offer()).group(1)
            own = re.search(r"a=fingerprint:sha-256 ([0-9A-F:]+)", offer).group(1)
            assert foreign != own
            await signaling.send({"type": "call.start", "sdp": offer.replace(own, foreign)})
            created = await signaling.next("call.created")
            await customer.accept_answer(created["sdp"])

            hangup = await signaling.next("call.hangup", timeout=20)
            assert hangup["errorCode"]["name"] == "MEDIA_FAILURE", hangup
            assert "does not match the SDP fingerprint" in hangup["errorCode"]["description"], hangup
            assert customer.frames == 0, "no audio reached a peer that failed the fingerprint check"
            assert await wait_for(lambda: dtls_refused(gateway) == before + 1, timeout=5)
            calls = gateway.request("GET", f"/ccaas/voice/2/calls?conversationId={created['conversationId']}")
            assert calls["elements"][0]["state"] == "FAILED", calls
        finally:
            await customer.close()
            await other.close()
            await signaling.close()
            await alice.close()

    asyncio.run(scenario())
