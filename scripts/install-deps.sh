#!/usr/bin/env bash
# Installs the system packages the test suite drives for real: third-party STUN clients (stun-client, coturn's
# turnutils_stunclient), openssl for test certificates, Chromium for the end-to-end GUI tests, and pebble (Let's
# Encrypt's ACME test server, with pebble-challtestsrv) for certificate issuance, and Prometheus's Python client,
# whose text parser reads `derpdesk probe`'s /metrics in the tests.
# Debian/Ubuntu; runs apt only when something is missing.
set -euo pipefail
need=()
command -v stun >/dev/null 2>&1 || need+=(stun-client)
command -v turnutils_stunclient >/dev/null 2>&1 || need+=(coturn)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v pebble >/dev/null 2>&1 || need+=(pebble)
/usr/bin/python3 -c 'import prometheus_client.parser' >/dev/null 2>&1 || need+=(python3-prometheus-client)
if [ ${#need[@]} -eq 0 ]; then
  echo "install-deps: system packages already present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${need[*]}"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
