#!/usr/bin/env bash
# The Mattermost integration suite: builds (or reuses) Mattermost server 6.7.2, starts a
# throwaway PostgreSQL cluster and the server on 127.0.0.1, provisions a team, channels, users and
# the bot through the API, runs the suite (go test -tags integration) and stops everything it
# started. Extra arguments go to go test (e.g. -run 'TestRealMattermost/transcript').
# Needs Go, curl and PostgreSQL (installed with apt-get when missing and running as root).
# Ports on 127.0.0.1: MM_PORT and MM_PGPORT, else the first free ones from 58065 and 55433.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

apt_install() {
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing $*" >&2
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
	else
		echo "the Mattermost integration suite needs: $* (install them, or run as root with apt-get)" >&2
		exit 1
	fi
}
command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
[ -n "$(pg_bin)" ] || apt_install postgresql
PGBIN="$(pg_bin)"

t0=$(date +%s)
MM_DIR="$(bash "$here/build-server.sh")"
t_build=$(($(date +%s) - t0))

work="$(mktemp -d "${TMPDIR:-/tmp}/mattermost-it.XXXXXX")"
RUNAS=()
pg_started=
cleanup() {
	local rc=$?
	bash "$here/server.sh" stop "$work" || true
	if [ -n "$pg_started" ]; then
		"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null || true
	fi
	if [ "$rc" != 0 ] && [ -f "$work/mattermost.log" ]; then
		echo "--- the end of the Mattermost log ($work kept for a look)" >&2
		tail -n 40 "$work/mattermost.log" >&2
	elif [ -z "${MM_KEEP:-}" ]; then
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# PostgreSQL: a throwaway cluster as user postgres (initdb refuses root), as .ci/run does.
mkdir -p "$work/pg"
if [ "$(id -u)" = 0 ]; then
	chown postgres "$work/pg"
	chmod 755 "$work"
	RUNAS=(runuser -u postgres --)
fi
# free_port FROM: the first port from FROM on that nothing on 127.0.0.1 answers.
free_port() {
	local p
	for ((p = $1; p < $1 + 50; p++)); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "no free port on 127.0.0.1 from $1" >&2
	return 1
}
pgport="${MM_PGPORT:-$(free_port 55433)}"
"${RUNAS[@]}" "$PGBIN/initdb" -D "$work/pg/data" -U postgres --auth=trust >/dev/null
"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
	-o "-c listen_addresses=127.0.0.1 -p $pgport -k $work/pg" start >/dev/null
pg_started=1
"$PGBIN/createdb" -h 127.0.0.1 -p "$pgport" -U postgres mattermost

port="${MM_PORT:-$(free_port 58065)}"
cat >"$work/server.env" <<ENV
MM_DIR='$MM_DIR'
MM_PORT='$port'
MM_DSN='postgres://postgres@127.0.0.1:$pgport/mattermost?sslmode=disable&connect_timeout=10'
ENV

t0=$(date +%s%N)
bash "$here/server.sh" start "$work"
t_start=$((($(date +%s%N) - t0) / 1000000))

cd "$root"
go run -tags integration ./integration/mattermost/provision \
	-url "http://127.0.0.1:$port" -out "$work/fixture.json"

export MM_INTEGRATION_FIXTURE="$work/fixture.json"
export MM_INTEGRATION_SERVER="$here/server.sh"
export MM_INTEGRATION_WORK="$work"
race=()
cc="$(go env CC)"
if command -v "${cc%% *}" >/dev/null 2>&1; then
	race=(-race) # the race detector needs cgo
fi
t0=$(date +%s)
go test -tags integration "${race[@]}" -count=1 -timeout 20m -v "$@" ./integration/mattermost/
t_suite=$(($(date +%s) - t0))
echo "Mattermost integration: server build ${t_build} s, first start ${t_start} ms, suite ${t_suite} s"
