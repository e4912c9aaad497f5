"""Attended transfers with real media: an aiortc customer (440 Hz) talks to Alice (an aiortc
agent, 620 Hz); Alice consults Bob (aiortc, 950 Hz) over signaling while the customer hears hold
music, then merges the three, then completes; in another call she cancels; in a third Bob
declines. After every move each party must hear exactly whom it should (tones found or not in
what it hears), and the customer's stream goes on without a gap. Loopback only."""

import asyncio

from audio_files import runs
from peers import Peer, Signaling, assert_hears, close_all, listen_a_while, start_customer_call, wait_for

# Away from the notes of the gateway's hold music and their overtones, which the customer hears while
# Alice consults.
CUSTOMER, ALICE, BOB = 440, 620, 950


class Scene:
    """An aiortc customer talking to Alice (Bob was BUSY so the call rang her; he is ACTIVE again),
    with Alice's and Bob's signaling and peers."""

    def __init__(self, gateway):
        self.gateway = gateway
        self.alice_id, self.bob_id = gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]
        self.alice = self.bob = self.signaling = self.customer = None

    async def start(self, identity):
        self.alice_peer, self.bob_peer = Peer(ALICE), Peer(BOB)
        self.alice = await Signaling.connect(self.gateway, self.alice_id)
        self.bob = await Signaling.connect(self.gateway, self.bob_id)
        await self.status("BUSY")
        self.signaling, self.customer, created = await start_customer_call(self.gateway, identity)
        self.conversation = created["conversationId"]
        incoming = await self.alice.next("call.incoming", timeout=10)
        self.call_id = incoming["callId"]
        await self.alice.send({"type": "call.accept", "callId": self.call_id,
                               "sdp": await self.alice_peer.answer(incoming["sdp"])})
        await self.signaling.next("call.established", timeout=15)
        assert await wait_for(lambda: self.customer.frames > 50 and self.alice_peer.frames > 50, timeout=10)
        await self.status("ACTIVE")
        return self

    async def status(self, status):
        await self.bob.send({"type": "agent.setStatus", "status": status, "id": status})
        await self.bob.next("ack", where=lambda f: f.get("id") == status)

    async def alice_asks(self, frame, name, answer="ack"):
        await self.alice.send({**frame, "callId": self.call_id, "id": name})
        return await self.alice.next(answer, where=lambda f: f.get("id") == name)

    async def consult_bob(self):
        await self.alice_asks({"type": "call.transfer", "agentId": self.bob_id, "attended": True}, "consult")
        assert (await self.alice.next("call.transfer", timeout=5))["state"] == "CONSULTING"
        offer = await self.bob.next("call.incoming", timeout=10)
        assert offer["callId"] == self.call_id and offer["customData"]["consultedBy"] == self.alice_id, offer
        assert offer["offer"]["transferredFrom"] == {"agentId": self.alice_id, "displayName": "Alice Agent"}, offer
        return offer

    async def bob_is_consulted(self):
        """Alice consults Bob; he answers (completing before that is refused)."""
        offer = await self.consult_bob()
        early = await self.alice_asks({"type": "call.consult", "action": "COMPLETE"}, "early", answer="error")
        assert early["code"] == "CONFLICT", early
        await self.bob.send({"type": "call.accept", "callId": self.call_id,
                             "sdp": await self.bob_peer.answer(offer["sdp"])})
        await self.bob.next("call.established", timeout=15)
        assert (await self.alice.next("call.transfer", timeout=5))["state"] == "CONSULTED"
        assert await wait_for(lambda: self.bob_peer.frames > 50, timeout=10)

    async def close(self):
        await close_all(self.customer, self.alice_peer, self.bob_peer, self.signaling, self.alice, self.bob)


def run(gateway, identity, body):
    async def scenario():
        scene = Scene(gateway)
        try:
            await body(await scene.start(identity))
        finally:
            await scene.close()

    asyncio.run(scenario())


def test_alice_consults_bob_merges_and_completes(gateway):
    async def body(s):
        unknown = await s.alice_asks({"type": "call.transfer", "agentId": "nobody", "attended": True}, "unknown",
                                     answer="error")
        assert unknown["code"] == "NOT_FOUND", unknown
        await s.bob_is_consulted()
        # Consulting: Alice and Bob hear each other; the customer hears hold music, not them.
        since = await listen_a_while(s.customer, s.alice_peer, s.bob_peer)
        assert_hears(s.alice_peer, since[1], [BOB], [CUSTOMER, ALICE])
        assert_hears(s.bob_peer, since[2], [ALICE], [CUSTOMER, BOB])
        assert_hears(s.customer, since[0], [], [ALICE, BOB], below=0.05)

        # Merged: each of the three hears both others, never itself.
        await s.alice_asks({"type": "call.consult", "action": "MERGE"}, "merge")
        assert (await s.alice.next("call.transfer", timeout=5))["state"] == "MERGED"
        since = await listen_a_while(s.customer, s.alice_peer, s.bob_peer)
        assert_hears(s.customer, since[0], [ALICE, BOB], [CUSTOMER])
        assert_hears(s.alice_peer, since[1], [CUSTOMER, BOB], [ALICE])
        assert_hears(s.bob_peer, since[2], [CUSTOMER, ALICE], [BOB])

        # Completed: the customer is Bob's; Alice leaves into wrap-up.
        await s.alice_asks({"type": "call.consult", "action": "COMPLETE"}, "done")
        assert (await s.alice.next("call.transfer", timeout=5))["state"] == "TRANSFERRED"
        assert (await s.alice.next("call.hangup", timeout=5))["errorCode"]["name"] == "TRANSFERRED"
        since = await listen_a_while(s.customer, s.bob_peer)
        assert_hears(s.customer, since[0], [BOB], [ALICE, CUSTOMER])
        assert_hears(s.bob_peer, since[1], [CUSTOMER], [ALICE, BOB])
        assert await s.customer.audio_packets_lost() == [0], "one stream to the customer through every move"
        assert s.gateway.request("GET", f"/ccaas/1/conversations/{s.conversation}")["agentId"] == s.bob_id
        alice_state = s.gateway.request("GET", f"/ccaas/1/agents/{s.alice_id}")
        assert alice_state.get("wrapUpSecondsLeft", 0) > 0, alice_state
        # Bob now has the call: his hang-up ends it for the customer.
        await s.bob.send({"type": "call.hangup", "callId": s.call_id})
        assert (await s.signaling.next("call.hangup", timeout=5))["errorCode"]["name"] == "NORMAL_HANGUP"

    run(gateway, "customer-consulted", body)


def test_alice_consults_bob_and_cancels(gateway):
    async def body(s):
        await s.bob_is_consulted()
        await s.alice_asks({"type": "call.consult", "action": "CANCEL"}, "cancel")
        assert (await s.alice.next("call.transfer", timeout=5))["state"] == "CONSULT_CANCELLED"
        assert (await s.bob.next("call.hangup", timeout=5))["callId"] == s.call_id
        since = await listen_a_while(s.customer, s.alice_peer)
        assert_hears(s.customer, since[0], [ALICE], [BOB, CUSTOMER])
        assert_hears(s.alice_peer, since[1], [CUSTOMER], [BOB, ALICE])
        assert await s.customer.audio_packets_lost() == [0]

    run(gateway, "customer-c2", body)


def test_when_bob_declines_the_consultation_alice_is_back_with_the_customer(gateway):
    async def body(s):
        await s.consult_bob()
        await s.bob.send({"type": "call.decline", "callId": s.call_id})
        failed = await s.alice.next("call.transfer", timeout=5)
        assert failed["state"] == "TRANSFER_FAILED" and failed["errorCode"]["name"] == "REJECTED", failed
        since = await listen_a_while(s.customer, s.alice_peer)
        assert_hears(s.customer, since[0], [ALICE], [BOB, CUSTOMER])
        assert_hears(s.alice_peer, since[1], [CUSTOMER], [BOB, ALICE])

    run(gateway, "customer-c3", body)


def test_alice_consults_a_phone_number_and_completes(gateway):
    """Alice consults +15557000, a SIPp phone sending 950 Hz: she hears it, the customer hears hold
    music; she completes: the customer and the phone hear each other, and Alice is TRANSFERRED."""
    from sip_peers import Sipp, capture_rtp, require_sipp, require_tshark
    from test_sip_trunks import NUMBER, add_trunk

    require_sipp()
    require_tshark()
    phone = Sipp("uas_answer", tone=(BOB, 12.0), variables={"ring_ms": 300, "bye_after_ms": 9000}, timeout=40)
    add_trunk(gateway, phone.address, codecs=["PCMU"])

    async def body(s):
        with capture_rtp(phone.media_port) as heard_by_phone:
            phone.start()
            await s.alice_asks({"type": "call.transfer", "externalNumber": "+15557000", "attended": True}, "consult")
            assert (await s.alice.next("call.transfer", timeout=5))["state"] == "CONSULTING"
            consulted = await s.alice.next("call.transfer", timeout=15)
            assert consulted["state"] == "CONSULTED", consulted
            since = await listen_a_while(s.customer, s.alice_peer)
            assert_hears(s.alice_peer, since[1], [BOB], [CUSTOMER, ALICE])
            assert_hears(s.customer, since[0], [], [ALICE, BOB], below=0.05)
            await s.alice_asks({"type": "call.consult", "action": "COMPLETE"}, "done")
            assert (await s.alice.next("call.hangup", timeout=5))["errorCode"]["name"] == "TRANSFERRED"
            since = await listen_a_while(s.customer)
            assert_hears(s.customer, since[0], [BOB], [ALICE, CUSTOMER])
            assert await s.customer.audio_packets_lost() == [0]
            # The phone hangs up (9 s after answering): the customer's call ends.
            assert (await s.signaling.next("call.hangup", timeout=15))["callId"] == s.call_id
            answered = await asyncio.to_thread(phone.wait, 20)
        answered.assert_ok()
        heard = [tone for tone, seconds in runs(heard_by_phone.samples(), 8000, [ALICE, CUSTOMER])
                 if tone != "-" and seconds >= 0.5]
        assert heard == [ALICE, CUSTOMER], f"Alice while consulting, then the customer: {heard}"

    try:
        run(gateway, "customer-c4", body)
    finally:
        phone.stop()
