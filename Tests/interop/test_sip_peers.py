"""Self-test of the SIP peer harness (sip_peers.py and sipp/*.xml), peer to peer on 127.0.0.1
with no gateway: SIPp <-> baresip and SIPp <-> SIPp, audio checked by frequency both ways,
RFC 4733 digits, refusal, CANCEL and digest authentication.

Peers missing: skipped, unless CI=true (then failed). SIPp pcap play and tshark need root or
CAP_NET_RAW."""

import struct
import time

import numpy as np
import pytest

from sip_peers import (Baresip, RtpCapture, RtpPacket, RtpStream, Sipp, alaw_decode, alaw_encode, capture_rtp,
                       dominant_frequency, read_pcap_udp, require_baresip, require_raw_sockets, require_sipp,
                       require_tshark, sipp_dtmf_pcap, tone, ulaw_decode, ulaw_encode, write_dtmf_pcap,
                       write_tone_pcap)

CALLER_HZ = 440
CALLEE_HZ = 660
TOLERANCE_HZ = 10


def near(freq, expected):
    return freq is not None and abs(freq - expected) <= TOLERANCE_HZ


@pytest.fixture
def sipp_ready():
    require_sipp()
    require_raw_sockets()


@pytest.fixture
def media_ready(sipp_ready):
    require_tshark()


class Peers:
    """Makes peers with their files under the test's tmp_path and stops them all at the end."""

    def __init__(self, root):
        self.root = root
        self.made = []

    def _add(self, peer):
        self.made.append(peer)
        return peer

    def sipp(self, scenario, **kwargs):
        return self._add(Sipp(scenario, workdir=self.root / f"{len(self.made)}-sipp-{scenario}", **kwargs))

    def baresip(self, user, **kwargs):
        return self._add(Baresip(user, workdir=self.root / f"{len(self.made)}-baresip-{user}", **kwargs))

    def capture(self, port):
        return capture_rtp(port, directory=self.root)

    def stop_all(self):
        for peer in reversed(self.made):
            peer.stop()


@pytest.fixture
def peers(tmp_path):
    made = Peers(tmp_path)
    yield made
    made.stop_all()


# --- helpers without peers ----------------------------------------------------------------------

def test_g711_known_values_and_round_trip():
    assert ulaw_encode(np.array([0]))[0] == 0xFF
    assert alaw_encode(np.array([0]))[0] == 0xD5
    assert list(ulaw_decode(bytes([0x00, 0x80, 0xFF, 0x7F]))) == [-32124, 32124, 0, 0]
    assert list(alaw_decode(bytes([0x2A, 0xAA, 0xD5, 0x55]))) == [-32256, 32256, 8, -8]
    x = np.arange(-32000, 32000, 7, dtype=np.int16)
    for encode, decode in ((ulaw_encode, ulaw_decode), (alaw_encode, alaw_decode)):
        codes = encode(x)
        assert codes.dtype == np.uint8
        error = np.abs(decode(codes).astype(int) - x)
        assert np.all(error <= np.maximum(16, np.abs(x.astype(int)) // 16)), error.max()
    codes = np.arange(256, dtype=np.uint8)
    assert np.array_equal(alaw_encode(alaw_decode(codes)), codes)
    assert np.array_equal(ulaw_encode(ulaw_decode(codes))[codes != 0x7F], codes[codes != 0x7F])  # 0x7F is -0
    assert near(dominant_frequency(ulaw_decode(ulaw_encode(tone(CALLER_HZ, 1.0)))), CALLER_HZ)
    assert near(dominant_frequency(alaw_decode(alaw_encode(tone(CALLEE_HZ, 1.0)))), CALLEE_HZ)


def test_rtp_pcap_files(tmp_path):
    pcap = write_tone_pcap(tmp_path / "tone.pcap", CALLER_HZ, 1.0, codec="PCMA", ssrc=0x1234, seq=100, timestamp=8000)
    packets = [RtpPacket.parse(payload, t) for t, _, _, payload in read_pcap_udp(pcap)]
    assert len(packets) == 50
    assert {p.payload_type for p in packets} == {8} and {len(p.payload) for p in packets} == {160}
    assert [p.seq for p in packets[:3]] == [100, 101, 102] and [p.timestamp for p in packets[:3]] == [8000, 8160, 8320]
    assert packets[0].marker and not packets[1].marker and {p.ssrc for p in packets} == {0x1234}
    assert abs(packets[-1].time - packets[0].time - 0.98) < 1e-3
    audio = np.concatenate([alaw_decode(p.payload) for p in packets])
    assert near(dominant_frequency(audio), CALLER_HZ)

    dtmf = write_dtmf_pcap(tmp_path / "dtmf.pcap", "5#", duration=0.1)
    capture = RtpCapture(0, packets=[RtpPacket.parse(payload, t) for t, _, _, payload in read_pcap_udp(dtmf)])
    events = capture.events()
    assert capture.digits() == "5#"
    assert all(e.ended and e.duration == 800 and e.packets == 5 + 3 for e in events)
    ends = [p for p in capture.packets if p.payload_type == 101 and p.payload[1] & 0x80]
    assert len(ends) == 6 and len({p.seq for p in ends}) == 6  # 3 end packets per digit, own seq each

    # One stream split into a tone file and a DTMF file keeps SSRC, sequence and timestamps going.
    stream = RtpStream("PCMU", ssrc=7, seq=65534, timestamp=0)
    first = [RtpPacket.parse(p) for _, _, _, p in read_pcap_udp(stream.tone(CALLER_HZ, 0.06).flush(tmp_path / "a.pcap"))]
    second = [RtpPacket.parse(p) for _, _, _, p in read_pcap_udp(stream.dtmf("1").flush(tmp_path / "b.pcap"))]
    assert [p.seq for p in first] == [65534, 65535, 0] and second[0].seq == 1
    assert second[0].timestamp == 480 and second[0].marker and struct.unpack("!B", second[0].payload[:1])[0] == 1


# --- SIPp <-> baresip ---------------------------------------------------------------------------

def test_sipp_calls_baresip_and_each_hears_the_other(media_ready, peers):
    require_baresip()
    phone = peers.baresip("alice", tone_hz=CALLEE_HZ)
    phone.start()
    caller = peers.sipp("uac_tone", remote=f"127.0.0.1:{phone.port}", service="alice", tone=(CALLER_HZ, 2.5), dtmf="7*", timeout=30)
    with peers.capture(caller.media_port) as heard_by_sipp:
        result = caller.run()
    result.assert_ok()

    phone.wait_event("CALL_ESTABLISHED", timeout=5)  # answermode=auto: no CALL_INCOMING event
    phone.wait_event("CALL_CLOSED", timeout=5)
    heard_by_phone = phone.heard_frequency()
    assert near(heard_by_phone, CALLER_HZ), (heard_by_phone, phone.recordings(), phone.log[-3000:])
    assert phone.dtmf_digits() == "7*", phone.events
    assert heard_by_sipp.payload_types() == [0], heard_by_sipp.payload_types()
    assert heard_by_sipp.packet_count > 100, heard_by_sipp.packet_count
    assert near(heard_by_sipp.dominant_frequency(), CALLEE_HZ), heard_by_sipp.dominant_frequency()


@pytest.mark.parametrize("transport,codec", [("udp", "PCMU"), ("tcp", "PCMA")])
def test_baresip_calls_sipp_and_each_hears_the_other(media_ready, peers, transport, codec):
    require_baresip()
    pt = {"PCMU": 0, "PCMA": 8}[codec]
    callee = peers.sipp("uas_answer", transport=transport, tone=(CALLEE_HZ, 5.0), codec=codec,
                        keys={"answer_formats": f"{pt} 101"}, variables={"ring_ms": 200}, timeout=30)
    callee.start()
    phone = peers.baresip("bob", tone_hz=CALLER_HZ, codecs=codec.lower())
    phone.start()
    with peers.capture(callee.media_port) as heard_by_sipp:
        phone.dial(callee.uri)
        phone.wait_event("CALL_RINGING", timeout=5)
        phone.wait_event("CALL_ESTABLISHED", timeout=5)
        time.sleep(2.5)
        phone.hangup()
        phone.wait_event("CALL_CLOSED", timeout=5)
    callee.wait(10).assert_ok()

    assert [m.method or m.status for m in callee.result.received()] == ["INVITE", "ACK", "BYE"]
    assert f"SIP/2.0/{transport.upper()}" in callee.result.messages[0].text
    heard_by_phone = phone.heard_frequency()
    assert near(heard_by_phone, CALLEE_HZ), (heard_by_phone, phone.log[-3000:])
    assert heard_by_sipp.payload_types() == [pt]
    assert heard_by_sipp.packet_count > 80, heard_by_sipp.packet_count
    assert near(heard_by_sipp.dominant_frequency(), CALLER_HZ), heard_by_sipp.dominant_frequency()


def test_baresip_answers_a_digest_challenge(sipp_ready, peers):
    require_baresip()
    callee = peers.sipp("uas_auth", keys={"auth_user": "carol", "auth_pass": "pa55"}, tone=(CALLEE_HZ, 2.0), timeout=20)
    callee.start()
    phone = peers.baresip("carol", auth=("carol", "pa55"))
    phone.start()
    phone.dial(callee.uri)
    phone.wait_event("CALL_ESTABLISHED", timeout=5)
    phone.hangup()
    phone.wait_event("CALL_CLOSED", timeout=5)
    result = callee.wait(10).assert_ok()
    invites = [m for m in result.received() if m.method == "INVITE"]
    assert len(invites) == 2 and 'username="carol"' in invites[1].text
    assert 401 in [m.status for m in result.sent()]


# --- SIPp <-> SIPp ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtmf", ["159#", "shipped-5"])
def test_dtmf_from_sipp_arrives_as_rfc4733_events(media_ready, peers, dtmf):
    callee = peers.sipp("uas_answer", tone=(CALLEE_HZ, 2.0), timeout=20)
    callee.start()
    if dtmf.startswith("shipped-"):
        # SIPp's own pcaps: PT 101, their own SSRC and sequence numbers.
        caller = peers.sipp("uac_tone", remote=callee.address, tone=(CALLER_HZ, 1.0), timeout=20,
                            keys={"dtmf_pcap": str(sipp_dtmf_pcap("5"))}, variables={"play_dtmf": True, "dtmf_ms": 400})
        expected = "5"
    else:
        caller = peers.sipp("uac_tone", remote=callee.address, tone=(CALLER_HZ, 1.0), dtmf=dtmf, timeout=20)
        expected = dtmf
    with peers.capture(callee.media_port) as heard_by_callee:
        caller.run().assert_ok()
    callee.wait(10).assert_ok()

    assert heard_by_callee.digits() == expected, heard_by_callee.events()
    assert all(e.ended for e in heard_by_callee.events())
    assert near(heard_by_callee.dominant_frequency(skip_seconds=0), CALLER_HZ)


def test_busy_callee_refuses_with_486(sipp_ready, peers):
    callee = peers.sipp("uas_busy", timeout=15)
    callee.start()
    caller = peers.sipp("uac_reject", remote=callee.address, variables={"expect_status": 486}, timeout=15)
    result = caller.run().assert_ok()
    assert 486 in result.statuses_received()
    assert [m.method for m in result.sent()] == ["INVITE", "ACK"]
    callee.wait(10).assert_ok()


def test_a_refusal_other_than_expected_fails_with_the_trace(sipp_ready, peers):
    callee = peers.sipp("uas_busy", timeout=15)
    callee.start()
    caller = peers.sipp("uac_reject", remote=callee.address, variables={"expect_status": 480}, timeout=15)
    result = caller.run()
    assert not result.ok() and result.returncode == 1 and result.failed == 1
    report = result.report()
    assert "SIP/2.0 486 Busy Here" in report and "FailedTestDoesntMatch" in report
    callee.wait(10)


def test_caller_cancels_while_the_callee_rings(sipp_ready, peers):
    callee = peers.sipp("uas_ring_forever", timeout=15)
    callee.start()
    caller = peers.sipp("uac_cancel", remote=callee.address, variables={"cancel_after_ms": 300}, timeout=15)
    result = caller.run().assert_ok()
    assert [m.method for m in result.sent()] == ["INVITE", "CANCEL", "ACK"]
    assert [s for s in result.statuses_received() if s >= 180] == [180, 200, 487]
    callee.wait(10).assert_ok()


@pytest.mark.parametrize("password,succeeds", [("s3cret", True), ("wrong", False)])
def test_digest_challenge_between_sipp_peers(sipp_ready, peers, password, succeeds):
    callee = peers.sipp("uas_auth", keys={"auth_user": "dave", "auth_pass": "s3cret"}, tone=(CALLEE_HZ, 1.0), timeout=15)
    callee.start()
    caller = peers.sipp("uac_tone", remote=callee.address, auth=("dave", password), tone=(CALLER_HZ, 0.5), timeout=15)
    result = caller.run()
    callee_result = callee.wait(10)
    assert result.ok() == succeeds, result.report()
    assert callee_result.ok() == succeeds, callee_result.report()
    assert result.statuses_received()[0] == 401
    assert (403 in result.statuses_received()) == (not succeeds)


def test_callee_hangs_up_over_tcp(media_ready, peers):
    callee = peers.sipp("uas_answer", transport="tcp", tone=(CALLEE_HZ, 2.0), variables={"bye_after_ms": 1000}, timeout=15)
    callee.start()
    caller = peers.sipp("uac_tone", remote=callee.address, transport="tcp", tone=(CALLER_HZ, 2.0), variables={"wait_bye": True}, timeout=15)
    with peers.capture(caller.media_port) as heard_by_caller:
        result = caller.run().assert_ok()
    callee.wait(10).assert_ok()
    assert [m.method for m in result.received() if m.method] == ["BYE"]
    assert near(heard_by_caller.dominant_frequency(), CALLEE_HZ)


def test_several_calls_at_a_rate(sipp_ready, peers):
    callee = peers.sipp("uas_answer", tone=(CALLEE_HZ, 1.0), calls=3, timeout=20)
    callee.start()
    caller = peers.sipp("uac_tone", remote=callee.address, tone=(CALLER_HZ, 0.5), calls=3, rate=10, limit=3, timeout=20)
    result = caller.run().assert_ok()
    assert result.successful == 3 and result.failed == 0
    assert callee.wait(10).assert_ok().successful == 3


def test_baresip_moves_to_free_ports_when_its_own_are_taken_before_it_binds():
    """Ports found free can be taken before baresip binds them (another test process, an ephemeral
    port): a phone that chose its own ports starts on new ones, and says so in its config."""
    import socket as sockets
    from sip_peers import LOOPBACK
    phone = Baresip("moved")
    blocker = sockets.socket()
    blocker.bind((LOOPBACK, phone.port))  # libre listens on TCP too: its start fails once
    blocker.listen()
    taken = phone.port
    try:
        phone.start()
        assert phone.port != taken and f"{LOOPBACK}:{phone.port}" in (phone.confdir / "config").read_text()
    finally:
        phone.stop()
        blocker.close()

