#!/usr/bin/env bash
# Makes sure the machine has what the test suite uses beyond npm packages: Debian's Chromium
# (report rendering test) and redis-server (distributed budget tests; test/setup/global.ts starts it
# when no Redis answers at REDIS_URL). Installs it with apt-get when missing and running as root; otherwise
# says what to install. Run by `pnpm test` before vitest.
set -euo pipefail
missing=()
[ -n "${CHROMIUM_PATH:-}" ] || command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# A Redis for the distributed tests: one already answering at REDIS_URL, or redis-server to start one.
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# redis-cli joins the three local nodes of the Redis Cluster test.
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: installing ${missing[*]} with apt-get" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "test-deps: please install: ${missing[*]} (e.g. sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
