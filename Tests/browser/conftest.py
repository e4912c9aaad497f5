import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))

from peers import Gateway, patch_aioice_loopback, require_aiortc  # noqa: E402


def require_chromium():
    """Chromium is a required peer in CI; outside CI a missing browser skips."""
    missing = [p for p in ("/usr/bin/chromium", "/usr/bin/chromedriver") if not os.path.exists(p)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    if missing:
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"missing browser peers: {missing}")
        pytest.skip(f"missing browser peers: {missing} (run scripts/install-deps --test)")


@pytest.fixture
def gateway():
    require_aiortc()
    require_chromium()
    patch_aioice_loopback()
    gw = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60"})
    yield gw
    gw.stop()
