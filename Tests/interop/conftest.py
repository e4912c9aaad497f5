import pytest

from peers import Gateway, patch_aioice_loopback, require_aiortc


@pytest.fixture
def gateway():
    require_aiortc()
    patch_aioice_loopback()
    gw = Gateway({"GATEWAY_HEARTBEAT_TIMEOUT": "60"})
    yield gw
    gw.stop()
