#!/usr/bin/env bash
# Sets up a Claw checkout: a virtualenv in .venv with the pinned dependencies
# (requirements.lock) and Claw itself (editable, so `claw` runs this tree). As root it also
# installs the Debian packages the tests use: pgTAP's SQL (postgresql-15-pgtap; it loads into
# the embedded PostgreSQL 18) and PgBouncer. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
[ -f /usr/share/postgresql/15/extension/pgtap.control ] || need_apt+=(postgresql-15-pgtap)
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || need_apt+=(pgbouncer)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup.sh: the tests need Debian packages: sudo apt-get install ${need_apt[*]}" >&2
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.lock
.venv/bin/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
echo "setup.sh: ready; try .venv/bin/claw demo"
