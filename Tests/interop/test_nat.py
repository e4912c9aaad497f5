"""A gateway behind a one-to-one NAT: it binds 127.0.0.1 and announces 127.0.0.3
(`sipAnnouncedAddress`, `mediaAnnouncedAddress`), and a relay on 127.0.0.3 forwards the SIP port
and the media range to it as the NAT would. An agent calls a SIPp phone through a trunk: the
INVITE's Via and Contact and the SDP name the public address, the phone's media reaches the
gateway through the NAT (the agent hears its tone), and the phone's BYE, sent to the Contact,
ends the call. Loopback only."""

import os
import subprocess
import sys

from headless import figures, run
from peers import Gateway
from sip_peers import Sipp, require_sipp
from test_sip_trunks import add_trunk

PUBLIC = "127.0.0.3"
MEDIA = (45400, 45499)
RELAY = os.path.join(os.path.dirname(__file__), "..", "support", "impairment_relay.py")


def nat(ports):
    """The NAT's public side: every port of `ports` on PUBLIC forwarded to 127.0.0.1, untouched."""
    relay = subprocess.Popen([sys.executable, RELAY, "--listen", PUBLIC, "--target", "127.0.0.1",
                              "--ports", f"{ports[0]}-{ports[1]}"], stdout=subprocess.PIPE, text=True)
    assert relay.stdout.readline().strip() == "ready"
    return relay


def test_behind_a_one_to_one_nat_sip_and_sdp_announce_the_public_address():
    require_sipp()
    media = nat(MEDIA)
    gateway = signaling = None
    phone = Sipp("uas_answer", tone=(784, 8.0), variables={"ring_ms": 300, "bye_after_ms": 4000})
    try:
        gateway = Gateway({"GATEWAY_MEDIA_PORT_MIN": str(MEDIA[0]), "GATEWAY_MEDIA_PORT_MAX": str(MEDIA[1]),
                           "GATEWAY_MEDIA_ANNOUNCED_ADDRESS": PUBLIC, "GATEWAY_SIP_ANNOUNCED_ADDRESS": PUBLIC})
        signaling = nat((gateway.sip_port, gateway.sip_port))
        add_trunk(gateway, phone.address, codecs=["PCMU"], numbers=[], defaultCallerId="+15550100")
        phone.start()
        code, out, err = run(["agent", "--gateway", gateway.base, "--api-key", gateway.key,
                              "--agent-id", gateway.agents["Alice Agent"], "--dial", "+15557000", "--pstn",
                              "--tone", "523", "--expect-tone", "784", "--json"], timeout=60)
        result = phone.wait(20)
    finally:
        phone.stop()
        for relay in (media, signaling):
            if relay:
                relay.terminate()
                relay.wait(10)
        if gateway:
            gateway.stop()
    result.assert_ok()
    invite = next(m for m in result.received() if m.method == "INVITE")
    assert f"@{PUBLIC}:{gateway.sip_port}" in invite.header("Contact"), invite.text
    assert f"SIP/2.0/UDP {PUBLIC}:{gateway.sip_port}" in invite.header("Via"), invite.text
    assert f"c=IN IP4 {PUBLIC}" in invite.body and "127.0.0.1" not in invite.body, invite.body
    # The phone hung up: its BYE went to the Contact, through the NAT, and was answered.
    assert code == 0, err + "\n".join(out)
    call = figures(out)[0]
    assert call["hangup"] == "NORMAL_HANGUP" and call["packetsReceived"] > 100, call
    assert abs(call["heardFrequency"] - 784) <= 10, call
    bye = [m for m in result.sent() if m.method == "BYE"]
    assert bye and any(m.status == 200 for m in result.received()), result.report()
