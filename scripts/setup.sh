#!/usr/bin/env bash
# setup.sh: installs what bqsync needs on a Debian 12 machine, idempotently:
# the build and test dependencies from Debian's archive (apt-get, the only
# step that needs root: run as root, or as a user with sudo, which this
# script then uses for apt-get alone),
# harperdb from npm into .harper/pkg, and the official Node BigQuery client
# (the emulator's judge) and Natural Earth's land polygons (the judge of
# maritime-synth's sea routes) into tests/clients.  Prints what it did.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'setup.sh: %s\n' "$*" >&2; }

pkgs="build-essential pkg-config libcurl4-openssl-dev libcjson-dev libyaml-dev
libssl-dev check libsubunit-dev libmicrohttpd-dev libsqlite3-dev sqlite3 mandoc
curl python3 openssl ca-certificates jq time util-linux python3-prometheus-client"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
# Node.js may come with its own npm (as on these machines), so ask for the
# commands, not for Debian's packages.
command -v node >/dev/null || missing="$missing nodejs"
command -v npm >/dev/null || missing="$missing npm"
if [ -n "$missing" ]; then
	asroot=
	if [ "$(id -u)" -ne 0 ]; then
		if ! command -v sudo > /dev/null; then
			say "missing Debian packages:$missing; run this as root (there is no sudo)"
			exit 1
		fi
		say "not root: using sudo for apt-get only"
		asroot="sudo"
	fi
	say "installing Debian packages:$missing"
	$asroot env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	$asroot env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $missing >&2
else
	say "Debian packages present"
fi

"$top/scripts/harper.sh" install

# tests/clients: the Node BigQuery client (the emulator's judge) and
# Natural Earth's land polygons (world-atlas, topojson-client, turf: the
# judge of maritime-synth's sea routes, and scripts/map.sh's coastlines).
if [ -f "$top/tests/clients/package.json" ]; then
	nm=$top/tests/clients/node_modules
	if [ ! -d "$nm/@google-cloud/bigquery" ] || [ ! -f "$nm/world-atlas/land-50m.json" ] ||
	    [ ! -d "$nm/topojson-client" ] || [ ! -d "$nm/@turf/boolean-point-in-polygon" ]; then
		say "installing the Node BigQuery client and Natural Earth's land into tests/clients"
		npm install --prefix "$top/tests/clients" --no-audit --no-fund --loglevel=error >&2
	else
		say "Node BigQuery client and Natural Earth's land present in tests/clients"
	fi
fi
