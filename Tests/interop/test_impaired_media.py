"""A call over a bad network: the customer's media passes a seeded impairment relay (5% loss,
10-40 ms of delay, so packets overtake one another, 1% duplicated, both ways). Both parties
still hear the other's tone, and the gateway's RTCP receiver reports tell the customer what the
path lost, as aiortc's remote-inbound statistics show. Loopback only."""

import asyncio

from impairment_relay import ImpairmentRelay, gateway_port, through_relay
from peers import Peer, Signaling, answer_next_call, close_all, wait_for


async def remote_reports(peer):
    """(packetsLost, jitter in RTP clock units, 48,000 a second for Opus) of each remote-inbound
    audio stream: what the far end (here the gateway) reported over RTCP about what it received
    from `peer`."""
    report = await peer.pc.getStats()
    return [(s.packetsLost, s.jitter) for s in report.values() if s.type == "remote-inbound-rtp" and s.kind == "audio"]


def test_audio_survives_loss_jitter_reordering_and_duplication_and_the_loss_is_reported(gateway):
    async def scenario():
        alice = await Signaling.connect(gateway, gateway.agents["Alice Agent"])
        agent = Peer(660)
        signaling = await Signaling.connect(gateway, "customer-far-away")
        customer = Peer(440)
        relay = None
        try:
            await signaling.send({"type": "call.start", "sdp": await customer.offer()})
            created = await signaling.next("call.created")
            relay = await ImpairmentRelay(("127.0.0.1", gateway_port(created["sdp"])), loss=0.05, delay=0.010,
                                          jitter=0.030, duplicate=0.01, seed=7).start()
            await customer.accept_answer(through_relay(created["sdp"], relay))
            await answer_next_call(alice, agent, timeout=15)

            # Four seconds of talk each way through the bad path.
            marks = (customer.frames, agent.frames)
            assert await wait_for(lambda: customer.frames > marks[0] + 200 and agent.frames > marks[1] + 200,
                                  timeout=15), (customer.frames - marks[0], agent.frames - marks[1])
            assert abs(customer.dominant_frequency() - 660) < 15, customer.dominant_frequency()
            assert abs(agent.dominant_frequency() - 440) < 15, agent.dominant_frequency()

            counts = relay.counts
            for direction in ("to_target", "to_peer"):
                media, dropped = counts[direction]["media"], counts[direction]["dropped"]
                assert media > 200 and 0.02 < dropped / media < 0.09, (direction, counts[direction])
                assert counts[direction]["duplicated"] > 0, counts

            # The gateway's receiver reports to the customer count what the relay dropped on the way in.
            async def reported():
                return [lost for lost, _ in await remote_reports(customer)]
            for _ in range(50):
                lost = await reported()
                if lost and lost[0] > 0:
                    break
                await asyncio.sleep(0.2)
            dropped_in = counts["to_target"]["dropped"]
            assert lost and 0.5 * dropped_in <= lost[0] <= 1.5 * dropped_in + 5, (lost, counts["to_target"])
            # Delays spread evenly over 30 ms give an interarrival jitter of about 10 ms (480 units).
            jitter = [j for _, j in await remote_reports(customer)]
            assert jitter and 96 <= jitter[0] <= 1440, f"reported jitter {jitter} (48 kHz units), expected 2-30 ms"
        finally:
            await close_all(customer, agent, signaling, alice)
            if relay:
                relay.close()

    asyncio.run(scenario())
