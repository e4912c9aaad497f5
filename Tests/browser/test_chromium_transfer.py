"""Transfers from the softphone page in headless Chromium: Alice (Chromium) hands an aiortc
customer to Bob (the headless agent). Runs inside a network namespace with only `lo`."""

import asyncio
import json

from peers import wait_for
from test_chromium_agent import chromium, page_condition, softphone_answers, write_tone


def test_softphone_transfers_an_aiortc_customer_to_a_headless_agent(gateway, tmp_path):
    """Alice answers an aiortc customer in the softphone page, clicks Transfer, picks Bob (the
    headless agent, which answers on its own) and transfers: the customer hears Bob's 880 Hz and
    Bob hears the customer's 440 Hz; Alice's call ends (TRANSFERRED, no error shown) into
    wrap-up; the conversation is Bob's."""
    from selenium.webdriver.common.by import By

    from headless import dominant_frequency, start

    agent_tone = str(tmp_path / "a-660.wav")
    write_tone(agent_tone, 660)
    agent = chromium(agent_tone)
    alice, bob = gateway.agents["Alice Agent"], gateway.agents["Bob Agent"]
    record = str(tmp_path / "bob.wav")

    async def wait(condition, what, timeout=20):
        await page_condition(agent, condition, what, timeout)

    async def scenario():
        signaling, customer, created = await softphone_answers(agent, gateway, alice, "customer-transferred")
        bob_agent = None
        try:
            assert await wait_for(lambda: customer.frames > 100, timeout=15)
            assert abs(customer.dominant_frequency() - 660) < 15

            bob_agent = start(["agent", "--gateway", gateway.base, "--api-key", gateway.key, "--agent-id", bob,
                               "--tone", "880", "--record", record, "--answer-after", "0.5", "--calls", "1",
                               "--json"])
            assert await wait_for(lambda: gateway.request("GET", f"/ccaas/1/agents/{bob}")["availability"] == "ACTIVE",
                                  timeout=15), "Bob is ACTIVE"
            agent.find_element(By.ID, "transfer").click()
            await wait(f"[...document.getElementById('transfer-to').options].some((o) => "
                       f"o.value === 'agent:{bob}' && !o.disabled)", "Bob is offered in the picker")
            agent.execute_script("document.getElementById('transfer-to').value = arguments[0];", f"agent:{bob}")
            agent.find_element(By.ID, "transfer-go").click()
            await wait("document.getElementById('call').hidden", "Alice's call ends once Bob answers")
            await wait("!document.getElementById('wrapup').hidden", "Alice is in wrap-up")
            assert agent.find_element(By.ID, "error").text == ""
            moved = customer.frames
            assert await wait_for(lambda: customer.frames > moved + 100, timeout=10)
            assert abs(customer.dominant_frequency(seconds=1.0) - 880) < 15, customer.dominant_frequency()
            assert gateway.request("GET", f"/ccaas/1/conversations/{created['conversationId']}")["agentId"] == bob
            await signaling.send({"type": "call.hangup", "callId": created["callId"]})
            line = await asyncio.get_running_loop().run_in_executor(None, bob_agent.stdout.readline)
            call = json.loads(line)
            # Bob talked at least the 2 s the customer was heard hearing him, at 50 packets a second
            # (a fixed count of 100 failed on a call of exactly 2.0 s).
            talked = call["endedAt"] - call["establishedAt"]
            assert call["hangup"] == "NORMAL_HANGUP" and talked >= 1.9, call
            assert call["packetsReceived"] >= 0.85 * 50 * talked, call
        finally:
            await customer.close()
            await signaling.close()
            if bob_agent and bob_agent.poll() is None:
                bob_agent.kill()
        assert abs(dominant_frequency(record) - 440) < 15

    try:
        asyncio.run(scenario())
    finally:
        agent.quit()
