"""Headless Chromium as the agent's softphone, an aiortc customer, the gateway between them.
Runs inside a network namespace with only `lo` (scripts/test starts it there)."""

import asyncio
import os
import re
import time
import wave

import numpy as np

from audio_files import add_hold_music, runs
from peers import Peer, Signaling, start_customer_call, wait_for

ARTIFACTS = os.path.join(os.path.dirname(__file__), "..", "..", "test-artifacts")

# Puts `window.heard()` on the page: the dominant frequency (Hz) of what `stream` carries.
LISTEN = r"""
window.listenTo = (stream) => {
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 8192;
  context.createMediaStreamSource(stream).connect(analyser);
  window.heard = () => {
    const bins = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    let best = 0;
    for (let i = 5; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    return best * context.sampleRate / analyser.fftSize;
  };
};
"""

AGENT_PAGE = LISTEN + r"""
const done = arguments[arguments.length - 1];
window.log = [];
window.heard = null;
const ws = new WebSocket(arguments[0]);
const pc = new RTCPeerConnection({iceServers: []});
window.pc = pc;
pc.ontrack = (event) => {
  if (event.track.kind !== 'audio') return;
  const stream = event.streams[0] || new MediaStream([event.track]);
  const audio = new Audio();
  audio.srcObject = stream;
  audio.play();
  window.listenTo(stream);
};
ws.onmessage = async (event) => {
  const frame = JSON.parse(event.data);
  window.log.push(frame.type);
  if (frame.type === 'welcome') done('ready');
  if (frame.type === 'call.incoming') {
    const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: !!frame.video});
    stream.getTracks().forEach((t) => pc.addTrack(t, stream));
    await pc.setRemoteDescription({type: 'offer', sdp: frame.sdp});
    await pc.setLocalDescription(await pc.createAnswer());
    // The DTLS transport's own changes (a local close fires none): 'dtls:closed' is the gateway's
    // close_notify.
    const transport = pc.getSenders()[0].transport;
    if (transport) transport.onstatechange = () => window.log.push('dtls:' + transport.state);
    ws.send(JSON.stringify({type: 'call.accept', callId: frame.callId, sdp: pc.localDescription.sdp}));
  }
};
"""

STATS = r"""
const done = arguments[arguments.length - 1];
window.pc.getStats().then((report) => {
  let inbound = 0, outbound = 0, framesDecoded = 0, framesSent = 0;
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') inbound = s.packetsReceived;
    if (s.type === 'outbound-rtp' && s.kind === 'audio') outbound = s.packetsSent;
    if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded = s.framesDecoded;
    if (s.type === 'outbound-rtp' && s.kind === 'video') framesSent = s.framesSent;
  });
  done({state: window.pc.connectionState, inbound, outbound, framesDecoded, framesSent,
        heard: window.heard ? window.heard() : null, log: window.log});
});
"""


def write_tone(path, frequency, seconds=20, rate=48000):
    t = np.arange(int(rate * seconds))
    samples = (np.sin(2 * np.pi * frequency * t / rate) * 12000).astype(np.int16)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


def chromium(fake_audio, refuse_microphone=False, trust_spki=None):
    """Headless Chromium with a fake microphone playing `fake_audio`; it grants the microphone,
    or with `refuse_microphone` answers every permission prompt with no (as Block would).
    `trust_spki`: the base64 SHA-256 of a certificate's public key that Chromium then accepts
    (the gateway's self-signed development certificate), and no other."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    permission = "--deny-permission-prompts" if refuse_microphone else "--use-fake-ui-for-media-stream"
    for flag in ("--headless=new", "--no-sandbox", permission, "--use-fake-device-for-media-stream",
                 f"--use-file-for-fake-audio-capture={fake_audio}", "--allow-loopback-in-peer-connection",
                 "--autoplay-policy=no-user-gesture-required", "--disable-features=WebRtcHideLocalIpsWithMdns",
                 "--disable-gpu", "--no-first-run"):
        options.add_argument(flag)
    if trust_spki:
        options.add_argument(f"--ignore-certificate-errors-spki-list={trust_spki}")
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait(driver, condition, what="the page", timeout=20):
    """The JavaScript `condition`'s value once truthy; fails with `what` and the page's error line."""
    from selenium.webdriver.common.by import By
    for _ in range(int(timeout * 10)):
        value = driver.execute_script(f"return {condition};")
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: {driver.find_element(By.ID, 'error').text}")


async def page_condition(page, condition, what, timeout=20):
    """Waits until the JavaScript `condition` holds on `page`; fails with `what` and the page's
    error line."""
    from selenium.webdriver.common.by import By
    for _ in range(int(timeout * 10)):
        if page.execute_script(f"return {condition};"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what}: {page.find_element(By.ID, 'error').text}")


async def softphone_answers(page, gateway, agent_id, customer_identity):
    """Signs `agent_id` in on the softphone page, starts an aiortc customer's call (440 Hz) and
    answers it by clicking Accept: (signaling, customer, call.created) once established."""
    from selenium.webdriver.common.by import By
    page.get(f"{gateway.base}/softphone?token={gateway.token(agent_id)}")
    await page_condition(page, "!document.getElementById('agent').hidden", "the agent signed in")
    signaling, customer, created = await start_customer_call(gateway, customer_identity)
    try:
        await page_condition(page, "!document.getElementById('incoming').hidden", "the call rings at the agent")
        page.find_element(By.ID, "accept").click()
        await signaling.next("call.established", timeout=20)
    except BaseException:
        await customer.close()
        await signaling.close()
        raise
    return signaling, customer, created


def agent_browser(gateway, tmp_path):
    """Chromium with a 660 Hz fake microphone, signed in as Alice on the agent page."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    tone = str(tmp_path / "agent-660.wav")
    write_tone(tone, 660)
    driver = chromium(tone)
    driver.set_script_timeout(30)
    driver.get(gateway.base + "/")
    alice = gateway.agents["Alice Agent"]
    url = f"ws://127.0.0.1:{gateway.port}/webrtc/1/signaling?token={gateway.token(alice)}"
    assert driver.execute_async_script(AGENT_PAGE, url) == "ready"
    return driver


def test_chromium_agent_answers_an_aiortc_customer(gateway, tmp_path):
    driver = agent_browser(gateway, tmp_path)
    released_before = gateway.counter("gateway_media_dtls_released_total")

    async def scenario():
        customer_signaling = await Signaling.connect(gateway, "customer-chromium")
        customer = Peer(440)
        try:
            await customer_signaling.send({"type": "call.start", "sdp": await customer.offer(), "customData": {}})
            created = await customer_signaling.next("call.created")
            await customer.accept_answer(created["sdp"])
            await customer_signaling.next("call.established", timeout=20)
            stats = None
            for _ in range(100):
                stats = driver.execute_async_script(STATS)
                if stats["inbound"] > 150 and customer.frames > 150 and stats["heard"]:
                    break
                await asyncio.sleep(0.1)
            driver.save_screenshot(os.path.join(ARTIFACTS, "chromium-agent-call.png"))
            print("chromium stats", stats, "customer heard", customer.dominant_frequency())
            assert stats["state"] == "connected", stats
            assert stats["inbound"] > 150 and stats["outbound"] > 150, stats
            assert abs(stats["heard"] - 440) < 20, stats
            assert abs(customer.dominant_frequency() - 660) < 15, customer.dominant_frequency()
            # DTMF from the browser (RFC 4733 in band) reaches the customer's signaling as digits.
            driver.execute_script(
                "window.pc.getSenders().find((s) => s.track && s.track.kind === 'audio').dtmf.insertDTMF('1#9', 100, 70);")
            digits = [(await customer_signaling.next("call.dtmf"))["digit"] for _ in range(3)]
            assert digits == ["1", "#", "9"], digits

            # Media flowed, so both legs released their DTLS sessions (BoringSSL and aiortc chose
            # AES-GCM); the gateway's close_notify, sealed with the kept keys, closes Chromium's.
            assert gateway.counter("gateway_media_dtls_released_total") >= released_before + 2
            await customer_signaling.send({"type": "call.hangup", "callId": created["callId"]})
            for _ in range(50):
                log = driver.execute_async_script(STATS)["log"]
                if "call.hangup" in log and "dtls:closed" in log:
                    break
                await asyncio.sleep(0.1)
            log = driver.execute_async_script(STATS)["log"]
            assert "call.hangup" in log and "dtls:closed" in log, log
        finally:
            await customer.close()
            await customer_signaling.close()

    try:
        asyncio.run(scenario())
    finally:
        driver.quit()


def test_video_call_between_chromium_and_aiortc(gateway, tmp_path):
    driver = agent_browser(gateway, tmp_path)

    async def scenario():
        customer_signaling = await Signaling.connect(gateway, "customer-video")
        customer = Peer(440, video=True)
        try:
            await customer_signaling.send({"type": "call.start", "sdp": await customer.offer(), "customData": {}})
            created = await customer_signaling.next("call.created")
            assert "m=video" in created["sdp"] and "VP8/90000" in created["sdp"]
            await customer.accept_answer(created["sdp"])
            await customer_signaling.next("call.established", timeout=20)
            stats = None
            for _ in range(150):
                stats = driver.execute_async_script(STATS)
                if stats["framesDecoded"] > 30 and customer.video_frames > 30:
                    break
                await asyncio.sleep(0.1)
            driver.save_screenshot(os.path.join(ARTIFACTS, "chromium-video-call.png"))
            print("video stats", stats, "aiortc decoded", customer.video_frames, customer.video_size)
            # Frames went each way through the relay and were decoded on the far side.
            assert stats["framesDecoded"] > 30, stats
            assert customer.video_frames > 30 and customer.video_size[0] > 0, customer.video_frames
        finally:
            await customer.close()
            await customer_signaling.close()

    try:
        asyncio.run(scenario())
    finally:
        driver.quit()


def test_chromium_agent_takes_a_phone_call(gateway, tmp_path):
    """SIPp dials the trunk number; Chromium answers (its SDP is asked for narrowband Opus),
    hears SIPp's 440 Hz through the transcoder, SIPp receives Chromium's 660 Hz as PCMU, and
    the digits Chromium sends in band (insertDTMF, 48 kHz events) reach SIPp at 8 kHz."""
    from sip_peers import Sipp, capture_rtp, require_sipp, require_tshark
    from test_sip_trunks import NUMBER, add_trunk

    require_sipp()
    require_tshark()
    driver = agent_browser(gateway, tmp_path)
    caller = Sipp("uac_tone", remote=f"127.0.0.1:{gateway.sip_port}", service=NUMBER, tone=(440, 8.0), timeout=40)
    add_trunk(gateway, caller.address)

    async def scenario():
        with capture_rtp(caller.media_port) as heard_by_phone:
            caller.start()
            stats = None
            for _ in range(150):
                stats = driver.execute_async_script(STATS)
                if stats["inbound"] > 150 and stats["heard"]:
                    break
                await asyncio.sleep(0.1)
            assert stats["state"] == "connected", stats
            assert abs(stats["heard"] - 440) < 20, stats
            driver.execute_script(
                "window.pc.getSenders().find((s) => s.track && s.track.kind === 'audio').dtmf.insertDTMF('3*', 120, 80);")
            await asyncio.sleep(2.0)
            driver.save_screenshot(os.path.join(ARTIFACTS, "chromium-phone-call.png"))
            result = await asyncio.to_thread(caller.wait, 30)
        print("phone heard", heard_by_phone.dominant_frequency(), "digits", heard_by_phone.events())
        assert heard_by_phone.packet_count > 150, heard_by_phone.packet_count
        assert abs(heard_by_phone.dominant_frequency() - 660) < 20, heard_by_phone.dominant_frequency()
        events = heard_by_phone.events()
        assert "".join(e.digit for e in events) == "3*", events
        # 120 ms at 8 kHz is 960 timestamp units: the 48 kHz events were rescaled.
        assert all(900 <= e.duration <= 1100 and e.ended for e in events), events
        result.assert_ok()

    try:
        asyncio.run(scenario())
    finally:
        driver.quit()


SDK_AGENT = LISTEN + r"""
const done = arguments[arguments.length - 1];
const token = arguments[0];
window.events = [];
window.heard = null;
import('/sdk/1/callgateway.js').then(async (sdk) => {
  const client = sdk.CallGateway.create(token);
  window.client = client;
  client.on(sdk.ClientEvent.INCOMING_CALL, async ({ call }) => {
    window.events.push('incoming');
    window.call = call;
    call.on(sdk.CallsApiEvent.ESTABLISHED, () => {
      window.events.push('established');
      const audio = new Audio();
      audio.srcObject = call.remoteStream;
      audio.play();
      window.listenTo(call.remoteStream);
    });
    call.on(sdk.CallsApiEvent.HANGUP, ({ errorCode }) => window.events.push('hangup:' + errorCode.name));
    await call.accept();
  });
  client.on(sdk.ClientEvent.WRAP_UP, (frame) => window.events.push(frame.type));
  await client.connect();
  done('ready:' + client.identity);
}).catch((error) => done('failed: ' + (error.errorCode ? error.errorCode.name : error)));
"""

SDK_REFUSED = r"""
const done = arguments[arguments.length - 1];
import('/sdk/1/callgateway.js').then(async (sdk) => {
  try {
    await sdk.CallGateway.create('not-a-token').connect();
    done('connected?!');
  } catch (error) {
    done(error.errorCode.name + ': ' + error.message);
  }
});
"""


def test_the_sdk_answers_a_call_in_chromium_and_hangs_up_into_wrap_up(gateway, tmp_path):
    """The page uses the SDK served at /sdk/1/callgateway.js: INCOMING_CALL, accept, ESTABLISHED,
    tones both ways, hangup from the page, HANGUP and the wrap-up countdown; a bad token is an
    UNAUTHORIZED error from connect()."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    tone = str(tmp_path / "sdk-660.wav")
    write_tone(tone, 660)
    driver = chromium(tone)
    driver.set_script_timeout(30)
    driver.get(gateway.base + "/")
    alice = gateway.agents["Alice Agent"]
    assert driver.execute_async_script(SDK_AGENT, gateway.token(alice)) == f"ready:{alice}"
    refused = driver.execute_async_script(SDK_REFUSED)
    assert refused.startswith("UNAUTHORIZED: unauthorized"), refused
    # A call the gateway refuses rejects with its code (and releases the microphone).
    refused_call = driver.execute_async_script(r"""
      const done = arguments[arguments.length - 1];
      import('/sdk/1/callgateway.js').then(async (sdk) => {
        try {
          await window.client.callConversations(sdk.CallOptions.builder()
            .setCustomData({ isOutbound: true, outboundTo: 'nobody', outboundAgentId: arguments[0] }).build());
          done('started?!');
        } catch (error) { done(error.errorCode.name + ': ' + error.message); }
      });
    """, alice)
    assert refused_call.startswith("INVALID_REQUEST: conversationId"), refused_call

    async def scenario():
        customer_signaling, customer, created = await start_customer_call(gateway, "customer-sdk")
        try:
            await customer_signaling.next("call.established", timeout=20)
            heard = None
            for _ in range(100):
                heard = driver.execute_script("return window.heard ? window.heard() : null;")
                if heard and customer.frames > 150:
                    break
                await asyncio.sleep(0.1)
            assert heard and abs(heard - 440) < 20, heard
            assert abs(customer.dominant_frequency() - 660) < 15, customer.dominant_frequency()
            state = driver.execute_script("return [window.call.status(), window.call.duration() >= 0];")
            assert state == ["ESTABLISHED", True], state
            driver.execute_script("window.call.hangup();")
            hangup = await customer_signaling.next("call.hangup", timeout=10)
            assert hangup["errorCode"]["name"] == "NORMAL_HANGUP"
            events = []
            for _ in range(50):
                events = driver.execute_script("return window.events;")
                if "wrapup.started" in events:
                    break
                await asyncio.sleep(0.1)
            driver.save_screenshot(os.path.join(ARTIFACTS, "chromium-sdk-call.png"))
            assert events[:2] == ["incoming", "established"] and "hangup:NORMAL_HANGUP" in events, events
            assert "wrapup.started" in events, events
        finally:
            await customer.close()
            await customer_signaling.close()

    try:
        asyncio.run(scenario())
    finally:
        driver.quit()


def test_softphone_and_contact_pages(gateway, tmp_path):
    """The pages the gateway serves, clicked like a person would: the customer presses Call us
    and chats, the agent accepts, both hear the other's tone, the agent hangs up and works the
    wrap-up countdown (+30 s, then done)."""
    from selenium.webdriver.common.by import By

    os.makedirs(ARTIFACTS, exist_ok=True)
    agent_tone, customer_tone = str(tmp_path / "a-660.wav"), str(tmp_path / "c-440.wav")
    write_tone(agent_tone, 660)
    write_tone(customer_tone, 440)
    agent, customer = chromium(agent_tone), chromium(customer_tone)
    alice = gateway.agents["Alice Agent"]

    listen = LISTEN + "window.listenTo([...window.%s._calls.values()][0].remoteStream);"
    try:
        agent.get(f"{gateway.base}/softphone?token={gateway.token(alice)}")
        customer.get(f"{gateway.base}/contact?token={gateway.token('customer-page')}")
        wait(agent, "!document.getElementById('agent').hidden", "agent signed in")
        wait(customer, "!document.getElementById('contact').hidden", "customer started")
        customer.find_element(By.ID, "call").click()
        wait(agent, "!document.getElementById('incoming').hidden", "the call rings at the agent")
        assert agent.find_element(By.ID, "incoming-from").text == "customer-page"
        agent.find_element(By.ID, "accept").click()
        wait(agent, "document.getElementById('call-status').textContent === 'established'", "agent established")
        wait(customer, "document.getElementById('call-status').textContent === 'connected'", "customer connected")
        agent.execute_script(listen % "softphone")
        customer.execute_script(listen % "customer")
        time.sleep(1.5)
        heard_by_agent = agent.execute_script("return window.heard();")
        heard_by_customer = customer.execute_script("return window.heard();")
        assert abs(heard_by_agent - 440) < 20 and abs(heard_by_customer - 660) < 20, (heard_by_agent, heard_by_customer)

        customer.find_element(By.ID, "chat-text").send_keys("hello from the page")
        customer.find_element(By.ID, "chat-send").click()
        wait(customer, "document.getElementById('messages').textContent.includes('me: hello from the page')", "chat sent")
        wait(agent, "document.getElementById('messages').textContent.includes('hello from the page')", "chat received")
        agent.save_screenshot(os.path.join(ARTIFACTS, "softphone-in-call.png"))
        customer.save_screenshot(os.path.join(ARTIFACTS, "contact-in-call.png"))

        agent.find_element(By.ID, "hangup").click()
        wait(customer, "document.getElementById('call-status').textContent.startsWith('ended')", "customer told")
        left = int(wait(agent, "!document.getElementById('wrapup').hidden && document.getElementById('wrapup-left').textContent",
                        "wrap-up countdown"))
        assert 25 <= left <= 30, left
        agent.find_element(By.ID, "extend").click()
        wait(agent, "Number(document.getElementById('wrapup-left').textContent) > 40", "wrap-up extended")
        agent.save_screenshot(os.path.join(ARTIFACTS, "softphone-wrap-up.png"))
        agent.find_element(By.ID, "clear").click()
        wait(agent, "document.getElementById('wrapup').hidden", "wrap-up done")
        assert agent.find_element(By.ID, "error").text == ""
    finally:
        agent.quit()
        customer.quit()


def test_softphone_holds_and_resumes_an_aiortc_customer(gateway, tmp_path):
    """The agent's Hold button in the softphone page: the aiortc customer is told and hears the
    hold music (900 Hz, the default hold configuration) while the agent hears nothing; after
    Resume the customer hears the agent's 660 Hz again with no packet counted as lost on either
    side (one stream across music and the agent)."""
    from selenium.webdriver.common.by import By

    add_hold_music(gateway, 900)
    os.makedirs(ARTIFACTS, exist_ok=True)
    agent_tone = str(tmp_path / "a-660.wav")
    write_tone(agent_tone, 660)
    agent = chromium(agent_tone)
    alice = gateway.agents["Alice Agent"]
    lost_in_page = """
        const done = arguments[arguments.length - 1];
        [...window.softphone._calls.values()][0].pc.getStats().then((report) => {
          let lost = null, received = 0;
          report.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') {
            lost = s.packetsLost; received = s.packetsReceived; } });
          done({lost, received});
        });"""

    async def wait(condition, what, timeout=20):
        await page_condition(agent, condition, what, timeout)

    async def scenario():
        signaling, customer, created = await softphone_answers(agent, gateway, alice, "customer-on-hold")
        try:
            assert await wait_for(lambda: customer.frames > 100, timeout=15)
            assert abs(customer.dominant_frequency() - 660) < 15

            agent.find_element(By.ID, "hold").click()
            assert (await signaling.next("call.held"))["held"] is True
            await wait("document.getElementById('hold').textContent === 'Resume'", "the button offers Resume")
            assert agent.find_element(By.ID, "call-status").text == "on hold"
            await asyncio.sleep(0.5)
            before = customer.frames
            page_before = agent.execute_async_script(lost_in_page)["received"]
            await asyncio.sleep(2.5)
            assert customer.frames - before > 100, "the held customer hears the hold music"
            music = runs(np.concatenate([s for _, s in customer.heard[before:]]), customer.heard[0][0], [660, 900])
            assert [tone for tone, _ in music] == [900], music
            assert agent.execute_async_script(lost_in_page)["received"] - page_before < 5, "the agent hears nothing"
            agent.save_screenshot(os.path.join(ARTIFACTS, "softphone-hold.png"))

            agent.find_element(By.ID, "hold").click()
            assert (await signaling.next("call.held"))["held"] is False
            await wait("document.getElementById('call-status').textContent === 'established'", "resumed")
            resumed = customer.frames
            assert await wait_for(lambda: customer.frames > resumed + 75, timeout=10)
            assert abs(customer.dominant_frequency() - 660) < 15, customer.dominant_frequency()
            lost = await customer.audio_packets_lost()
            assert lost and max(lost) <= 2, f"the customer counted {lost} lost packets across the hold"
            await asyncio.sleep(1)
            page = agent.execute_async_script(lost_in_page)
            assert page["received"] > page_before + 40 and page["lost"] <= 2, page
            assert agent.find_element(By.ID, "error").text == ""
        finally:
            await customer.close()
            await signaling.close()

    try:
        asyncio.run(scenario())
    finally:
        agent.quit()


def test_supervisor_page_watches_queue_calls_and_agents(gateway, tmp_path):
    """The supervisor page, live over the WebSocket: a caller waiting in the queue (with its
    wait), then the call answered (ESTABLISHED) and the agent BUSY."""
    from selenium.webdriver.common.by import By

    supervisor_id = next(i for name, i in gateway.agents.items() if "Supervisor" in name)
    driver = chromium(str(tmp_path / "none.wav"))
    driver.set_script_timeout(30)

    def table(name):
        # Read in one script: the page re-renders its tables every refresh.
        return driver.execute_script(
            f"return [...document.querySelectorAll('#{name} tbody tr')].map((r) => [...r.cells].map((c) => c.textContent));")

    async def until(predicate, what, timeout=15):
        for _ in range(timeout * 10):
            if predicate():
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{what}: queues {table('queues')} waiting {table('waiting')} calls {table('calls')} "
                             f"agents {table('agents')}")

    async def scenario():
        alice = gateway.agents["Alice Agent"]
        agent_signaling = await Signaling.connect(gateway, alice)
        customer_signaling, customer, created = await start_customer_call(gateway, "customer-watched")
        agent = Peer(660)
        waiting = []
        try:
            incoming = await agent_signaling.next("call.incoming")
            driver.get(f"{gateway.base}/supervisor?token={gateway.token(supervisor_id)}")
            await until(lambda: any(q[1] == "1" for q in table("queues")), "a caller waits in the queue")
            await asyncio.sleep(1.2)
            await until(lambda: any(q[1] == "1" and int(q[2]) >= 1 for q in table("queues")), "the wait grows")
            assert any(c[0] == "customer-watched" and c[3] == "RINGING" for c in table("calls")), table("calls")
            driver.save_screenshot(os.path.join(ARTIFACTS, "supervisor-waiting.png"))
            await agent_signaling.send({"type": "call.accept", "callId": incoming["callId"],
                                        "sdp": await agent.answer(incoming["sdp"])})
            await customer_signaling.next("call.established", timeout=15)
            await until(lambda: any(c[3] == "ESTABLISHED" and c[2] == "Alice Agent" for c in table("calls")),
                        "the call is established with Alice")
            await until(lambda: all(q[1] == "0" for q in table("queues")), "nobody waits any more")
            await until(lambda: any(a[0] == "Alice Agent" and a[3] == "BUSY" and a[4] == "1" for a in table("agents")),
                        "Alice is busy with one call")
            # Her time in that state and her current call.
            await until(lambda: any(a[0] == "Alice Agent" and re.fullmatch(r"0:0\d", a[6])
                                    and a[7].startswith("customer-watched (established") for a in table("agents")),
                        "Alice's time in state and current call")
            driver.save_screenshot(os.path.join(ARTIFACTS, "supervisor-call.png"))
            # Alice is busy: the next caller waits, listed with its position and wait.
            second = await start_customer_call(gateway, "customer-second")
            waiting.append(second)
            await until(lambda: any(w[1] == "1" and w[2] == "customer-second" and w[3] == "NORMAL"
                                    for w in table("waiting")), "the second caller waits first in line")
            await asyncio.sleep(1.2)
            await until(lambda: any(w[2] == "customer-second" and int(w[4]) >= 1 for w in table("waiting")),
                        "its wait grows")
            driver.save_screenshot(os.path.join(ARTIFACTS, "supervisor-waiting-caller.png"))
            assert driver.find_element(By.ID, "error").text == ""
        finally:
            for signaling, peer, _ in waiting:
                await peer.close()
                await signaling.close()
            await agent.close()
            await customer.close()
            await customer_signaling.close()
            await agent_signaling.close()

    write_tone(str(tmp_path / "none.wav"), 300, seconds=2)
    try:
        asyncio.run(scenario())
    finally:
        driver.quit()


def test_softphone_dials_a_phone_number(gateway, tmp_path):
    """The agent types a number on the softphone page and presses Call: the gateway opens the
    outbound conversation, dials through the trunk, SIPp answers; Chromium hears SIPp's 784 Hz
    and SIPp receives the agent's 660 Hz; the agent hangs up from the page."""
    from selenium.webdriver.common.by import By
    from sip_peers import Sipp, capture_rtp, require_sipp, require_tshark
    from test_sip_trunks import add_trunk

    require_sipp()
    require_tshark()
    tone = str(tmp_path / "dial-660.wav")
    write_tone(tone, 660)
    driver = chromium(tone)
    callee = Sipp("uas_answer", tone=(784, 8.0), variables={"ring_ms": 300})
    add_trunk(gateway, callee.address)
    alice = gateway.agents["Alice Agent"]

    def value(script):
        return driver.execute_script(f"return {script};")

    try:
        callee.start()
        with capture_rtp(callee.media_port) as heard_by_phone:
            driver.get(f"{gateway.base}/softphone?token={gateway.token(alice)}")
            for _ in range(100):
                if value("!document.getElementById('dialer').hidden"):
                    break
                time.sleep(0.1)
            driver.find_element(By.ID, "dial-to").send_keys("+15557400")
            driver.find_element(By.ID, "dial").click()
            for _ in range(150):
                if value("document.getElementById('call-status').textContent") == "established":
                    break
                time.sleep(0.1)
            assert value("document.getElementById('call-status').textContent") == "established", \
                driver.find_element(By.ID, "error").text
            driver.execute_script(LISTEN + "window.listenTo([...window.softphone._calls.values()][0].remoteStream);")
            time.sleep(2.0)
            heard_by_agent = value("window.heard()")
            driver.save_screenshot(os.path.join(ARTIFACTS, "softphone-dialled-phone.png"))
            driver.find_element(By.ID, "hangup").click()
            callee.wait(15).assert_ok()
        assert abs(heard_by_agent - 784) < 20, heard_by_agent
        assert abs(heard_by_phone.dominant_frequency() - 660) < 20, heard_by_phone.dominant_frequency()
        invite = next(m for m in callee.result.received() if m.method == "INVITE")
        assert "sip:+15557400@" in invite.first_line
    finally:
        callee.stop()
        driver.quit()

