"""Firefox ESR as a test peer, driven over its own Marionette protocol (Debian has no
geckodriver): headless, a fresh profile whose prefs give WebRTC a fake microphone without a
prompt, allow loopback ICE candidates, and turn off everything that would reach the network
(updates, telemetry, safe browsing). `FirefoxPage` offers the few calls the browser tests make on
a Selenium driver (get, execute_script, execute_async_script, find_element, save_screenshot,
quit), so a test body can run in either browser.

Firefox's fake microphone is a 1 kHz sine tone (it cannot play a file as Chromium's can).

Firefox gathers no ICE candidate on a loopback interface, nor on any when the network has no
default route, and pairs none with a loopback candidate of the far end (whatever its prefs say;
seen with 153 ESR). In the loopback-only namespace the tests run in, `host_route()` therefore
gives the namespace a veth pair of its own (both ends inside it, so nothing leaves the machine)
with 10.231.0.1 and a default route, and the gateway's media uses that address. That interface
comes and goes with each test, so these tests must not share their namespace with other browser
tests (a Chromium there gathers a candidate on it, then loses it): scripts/test runs this file in
a namespace of its own.

Headless Firefox has no audio output here, so Web Audio stays suspended: what a page hears is
recorded with MediaRecorder (`FirefoxPage.heard`) and decoded by ffmpeg."""

import base64
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time

from loopback_ports import free_port  # Tests/support, on the path through peers (conftest)

FIREFOX = "/usr/bin/firefox-esr"
FAKE_TONE_HZ = 1000

PREFS = {
    "media.navigator.streams.fake": True,
    "media.navigator.permission.disabled": True,
    "media.peerconnection.ice.obfuscate_host_addresses": False,
    "media.autoplay.default": 0,
    "media.autoplay.blocking_policy": 0,
    "media.setsinkid.enabled": True,
    "dom.webnotifications.enabled": False,
    "app.update.disabledForTesting": True,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "extensions.update.enabled": False,
    "remote.prefs.recommended": True,
}


def require_firefox():
    """Firefox ESR and marionette_driver are required peers in CI; outside CI they skip."""
    from conftest import require_browser_peers
    require_browser_peers([FIREFOX], ["marionette_driver"])


def _pref(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace('"', '\\"') + '"'


HOST_ADDRESS = "10.231.0.1"

# Records arguments[0] ms of a MediaStream with MediaRecorder: [mime type, base64 of the file].
RECORD = r"""
const done = arguments[arguments.length - 1];
const recorder = new MediaRecorder(%s);
const parts = [];
recorder.ondataavailable = (event) => parts.push(event.data);
recorder.onstop = () => {
  const reader = new FileReader();
  reader.onload = () => done([recorder.mimeType, reader.result.split(',')[1]]);
  reader.readAsDataURL(new Blob(parts));
};
recorder.start();
setTimeout(() => recorder.stop(), arguments[0]);
"""


@contextlib.contextmanager
def host_route():
    """In a network namespace whose only interface is lo (as root), a veth pair inside it with
    HOST_ADDRESS and a default route through it, removed afterwards; yields HOST_ADDRESS, the
    address the gateway's media must use (Firefox pairs no candidate with a loopback one).
    Anywhere else it changes nothing and yields None."""
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout.splitlines()
    if os.geteuid() != 0 or [line.split(":")[1].strip() for line in links] != ["lo"]:
        yield None
        return
    for command in (["ip", "link", "add", "ffv0", "type", "veth", "peer", "name", "ffv1"],
                    ["ip", "addr", "add", f"{HOST_ADDRESS}/24", "dev", "ffv0"],
                    ["ip", "link", "set", "ffv0", "up"], ["ip", "link", "set", "ffv1", "up"],
                    ["ip", "route", "add", "default", "dev", "ffv0"]):
        subprocess.run(command, check=True)
    try:
        yield HOST_ADDRESS
    finally:
        subprocess.run(["ip", "link", "del", "ffv0"], check=False)


class By:
    ID = "id"


class FirefoxElement:
    def __init__(self, element):
        self._element = element

    def click(self):
        self._element.click()

    def send_keys(self, text):
        self._element.send_keys(text)

    @property
    def text(self):
        return self._element.text


class FirefoxPage:
    """One headless Firefox with its own profile; quit() ends it and removes the profile."""

    def __init__(self):
        from marionette_driver.marionette import Marionette
        self.profile = tempfile.mkdtemp(prefix="firefox-profile-")
        self.port = free_port()
        prefs = dict(PREFS, **{"marionette.port": self.port})
        with open(os.path.join(self.profile, "user.js"), "w") as f:
            for name, value in prefs.items():
                f.write(f"user_pref({_pref(name)}, {_pref(value)});\n")
        self.log = open(os.path.join(self.profile, "firefox.log"), "w")
        self.proc = subprocess.Popen(
            [FIREFOX, "--headless", "--marionette", "--no-remote", "--profile", self.profile],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ, MOZ_HEADLESS="1", MOZ_DISABLE_CONTENT_SANDBOX="1"))
        deadline = time.time() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.quit()
                    raise AssertionError(f"Firefox did not open Marionette on {self.port}: {self.firefox_log()}")
                time.sleep(0.2)
        self.client = Marionette(host="127.0.0.1", port=self.port)
        self.client.start_session()
        self.client.timeout.script = 60

    def firefox_log(self):
        self.log.flush()
        with open(os.path.join(self.profile, "firefox.log")) as f:
            return f.read()[-4000:]

    def get(self, url):
        self.client.navigate(url)

    def execute_script(self, script, *args):
        return self.client.execute_script(script, script_args=list(args), sandbox=None)

    def execute_async_script(self, script, *args):
        return self.client.execute_async_script(script, script_args=list(args), sandbox=None)

    def find_element(self, by, value):
        from marionette_driver.by import By as MarionetteBy
        assert by == By.ID or by == "id", by
        return FirefoxElement(self.client.find_element(MarionetteBy.ID, value))

    def heard(self, stream_expression, seconds=1.5, rate=16000):
        """The dominant frequency (Hz) of `seconds` of the MediaStream that the JavaScript
        `stream_expression` names, recorded in the page and decoded by ffmpeg."""
        import numpy as np
        mime, encoded = self.execute_async_script(RECORD % stream_expression, int(seconds * 1000))
        pcm = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", "pipe:0", "-f", "s16le", "-ac", "1", "-ar", str(rate),
                              "pipe:1"], input=base64.b64decode(encoded), capture_output=True, check=True).stdout
        audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
        assert len(audio) > rate // 2, f"only {len(audio)} samples recorded ({mime})"
        spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
        spectrum[:5] = 0
        return float(np.argmax(spectrum) * rate / len(audio))

    def save_screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.client.screenshot(format="base64")))

    def quit(self):
        try:
            if getattr(self, "client", None) is not None:
                self.client.delete_session()
        except Exception:
            pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(5)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
