#!/usr/bin/env bash
# README command (b): set up everything the test suite needs on a fresh machine, then run it.
# - Debian packages for the real-browser tests: chromium, chromium-driver, CJK fonts; and
#   PostgreSQL + PostGIS for the PostgreSQL store tests (a throw-away server, 127.0.0.1).
# - The package itself with its test extras (editable install).
# - pytest over tests/ (extra arguments are passed to pytest).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need_apt+=(fonts-noto-cjk)
# PostgreSQL + PostGIS for the store's second backend (tests start a throw-away server)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need_apt+=(postgresql)
compgen -G "/usr/share/postgresql/*/extension/postgis.control" >/dev/null \
  || need_apt+=(postgresql-postgis)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> apt-get install ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

PY=${PYTHON:-python3}
echo "==> pip install -e .[test,geodata]"
$PY -m pip install --quiet --disable-pip-version-check -e ".[test,geodata]"

# PostgreSQL and PostGIS are installed now: their store tests must run, not be skipped
export WZGEO_REQUIRE_POSTGRES=1

echo "==> pytest"
exec $PY -m pytest "$@"
