import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))

from peers import Gateway, patch_aioice_loopback, require_aiortc  # noqa: E402


def require_browser_peers(paths, modules):
    """Browsers are required peers in CI; outside CI a missing executable or Python module skips."""
    import importlib
    missing = [p for p in paths if not os.path.exists(p)]
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"missing browser peers: {missing}")
        pytest.skip(f"missing browser peers: {missing} (run scripts/install-deps --test)")


def require_chromium():
    require_browser_peers(["/usr/bin/chromium", "/usr/bin/chromedriver"], ["selenium"])


@pytest.fixture
def gateway():
    require_aiortc()
    require_chromium()
    patch_aioice_loopback()
    gw = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60"})
    yield gw
    gw.stop()
