#!/usr/bin/env bash
# Exercises a deployed gateway the way its users do, and fails loudly when it does not work:
#   1. GET /health (storage up);
#   2. `headless-agent load`: N agents sign in over WSS/WS, N customers call them through a queue
#      with real ICE, DTLS-SRTP and Opus, tones both ways; any call that fails, loses more than
#      5% of its audio or never hears the other side fails the run;
#   3. with SIP_TARGET (host:port of the gateway's SIP over UDP) and SIP_NUMBER (a trunk number
#      routed to a queue, the trunk's sourceHosts holding this machine's address): one phone call
#      by SIPp's stock `uac_pcap` scenario (PCMA, the speech sample Debian ships; SIPp plays it
#      through a raw socket, so run as root), answered by a headless agent (SIPP_AGENT_ID, a
#      member of that queue, signed in with the key) who must hear it.
#
# Usage: Examples/exercise-deployment.sh GATEWAY_URL API_KEY [CALLS]
#   GATEWAY_URL: https://gateway.example.com (the host name its certificate carries) or http://…
#   environment: CA_FILE (a PEM to trust, e.g. a private CA), HEADLESS_AGENT (the binary; default
#   headless-agent on PATH, else .build/release/headless-agent), SIP_TARGET, SIP_NUMBER,
#   SIPP_AGENT_ID.
# The load creates agents "Load agent 0001"… and a queue "Headless load" (reused on later runs):
# run it on a staging gateway, or delete them after.
set -euo pipefail
gateway="${1:?usage: $0 GATEWAY_URL API_KEY [CALLS]}"
key="${2:?usage: $0 GATEWAY_URL API_KEY [CALLS]}"
calls="${3:-5}"
here="$(cd "$(dirname "$0")/.." && pwd)"
agent_bin="${HEADLESS_AGENT:-$(command -v headless-agent || echo "$here/.build/release/headless-agent")}"
trust=()
curl_trust=()
if [ -n "${CA_FILE:-}" ]; then trust=(--ca-file "$CA_FILE"); curl_trust=(--cacert "$CA_FILE"); fi

echo "==> health"
curl -fsS "${curl_trust[@]}" "$gateway/health"
echo

echo "==> $calls WebRTC calls through a queue"
"$agent_bin" load --gateway "$gateway" --api-key "$key" "${trust[@]}" --count "$calls" --rate 5 --duration 5 --json \
  | tail -n 1

if [ -n "${SIP_TARGET:-}" ] && [ -n "${SIP_NUMBER:-}" ]; then
  echo "==> a phone call to $SIP_NUMBER through $SIP_TARGET"
  : "${SIPP_AGENT_ID:?SIPP_AGENT_ID: the agent who answers the phone call}"
  "$agent_bin" agent --gateway "$gateway" --api-key "$key" "${trust[@]}" --agent-id "$SIPP_AGENT_ID" \
    --tone 660 --calls 1 --json &
  agent_pid=$!
  sleep 3
  # The stock scenario plays pcap/g711a.pcap from where it runs: Debian's samples, linked there.
  work="$(mktemp -d)"
  ln -s /usr/share/sip-tester "$work/pcap"
  (cd "$work" && sipp "$SIP_TARGET" -sn uac_pcap -s "$SIP_NUMBER" -m 1 -timeout 60 -nostdin >/dev/null)
  rm -rf "$work"
  wait "$agent_pid"
fi
echo "==> all good"
