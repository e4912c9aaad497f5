#!/usr/bin/env bash
# Makes a self-signed development certificate for 127.0.0.1/localhost (ECDSA P-256, 30 days):
# dev-cert.pem and dev-key.pem, in this folder or in the folder given as the first argument.
# Prints its SHA-256 fingerprint. Never use it in production.
set -euo pipefail
out="${1:-$(dirname "$0")}"
mkdir -p "$out"
cd "$out"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -keyout dev-key.pem -out dev-cert.pem -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
chmod 600 dev-key.pem
openssl x509 -in dev-cert.pem -noout -fingerprint -sha256
