#!/usr/bin/env bash
# Starts or stops the Mattermost server of an integration run: server.sh start|stop WORKDIR.
# WORKDIR/server.env (written by run.sh) says where the binary is and how to reach PostgreSQL;
# the server runs from WORKDIR/server, logs to WORKDIR/mattermost.log, and its pid is in
# WORKDIR/mattermost.pid. The suite calls it too, to restart the server under the running bot.
set -euo pipefail

cmd="${1:?usage: server.sh start|stop WORKDIR}"
work="${2:?usage: server.sh start|stop WORKDIR}"
# shellcheck source=/dev/null
. "$work/server.env" # MM_DIR, MM_PORT, MM_DSN
pidfile="$work/mattermost.pid"

start() {
	if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
		echo "mattermost is already running (pid $(cat "$pidfile"))" >&2
		return 1
	fi
	local run="$work/server"
	mkdir -p "$run/config" "$work/data" "$work/logs"
	[ -f "$run/config/config.json" ] || echo '{}' >"$run/config/config.json"
	for d in i18n templates fonts; do
		[ -e "$run/$d" ] || ln -s "$MM_DIR/$d" "$run/$d"
	done
	local started
	started=$(date +%s%N)
	(
		cd "$run"
		# Everything the server would fetch from outside is off: it must only talk to 127.0.0.1.
		export MM_SQLSETTINGS_DRIVERNAME=postgres \
			MM_SQLSETTINGS_DATASOURCE="$MM_DSN" \
			MM_SERVICESETTINGS_LISTENADDRESS="127.0.0.1:$MM_PORT" \
			MM_SERVICESETTINGS_SITEURL="http://127.0.0.1:$MM_PORT" \
			MM_SERVICESETTINGS_ENABLEBOTACCOUNTCREATION=true \
			MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS=true \
			MM_SERVICESETTINGS_ENABLESECURITYFIXALERT=false \
			MM_SERVICESETTINGS_ENABLELINKPREVIEWS=false \
			MM_SERVICESETTINGS_ENABLEPERMALINKPREVIEWS=false \
			MM_SERVICESETTINGS_ENABLEGIFPICKER=false \
			MM_PLUGINSETTINGS_ENABLE=false \
			MM_PLUGINSETTINGS_ENABLEMARKETPLACE=false \
			MM_PLUGINSETTINGS_ENABLEREMOTEMARKETPLACE=false \
			MM_PLUGINSETTINGS_AUTOMATICPREPACKAGEDPLUGINS=false \
			MM_LOGSETTINGS_ENABLEDIAGNOSTICS=false \
			MM_LOGSETTINGS_CONSOLELEVEL=ERROR \
			MM_LOGSETTINGS_FILELOCATION="$work/logs" \
			MM_ANNOUNCEMENTSETTINGS_ADMINNOTICESENABLED=false \
			MM_ANNOUNCEMENTSETTINGS_USERNOTICESENABLED=false \
			MM_EMAILSETTINGS_SENDEMAILNOTIFICATIONS=false \
			MM_EMAILSETTINGS_SENDPUSHNOTIFICATIONS=false \
			MM_TEAMSETTINGS_ENABLEOPENSERVER=true \
			MM_FILESETTINGS_DIRECTORY="$work/data" \
			MM_FILESETTINGS_ENABLEPUBLICLINK=true
		exec "$MM_DIR/bin/mattermost" --config "$run/config/config.json" >>"$work/mattermost.log" 2>&1
	) &
	echo $! >"$pidfile"
	local url="http://127.0.0.1:$MM_PORT/api/v4/system/ping"
	for _ in $(seq 1 240); do
		if curl -fsS -m 2 "$url" >/dev/null 2>&1; then
			echo "Mattermost answers on 127.0.0.1:$MM_PORT after $((($(date +%s%N) - started) / 1000000)) ms" >&2
			return 0
		fi
		if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
			echo "mattermost exited while starting; the end of its log:" >&2
			tail -n 30 "$work/mattermost.log" >&2
			return 1
		fi
		sleep 0.5
	done
	echo "mattermost did not answer $url within 120 s; the end of its log:" >&2
	tail -n 30 "$work/mattermost.log" >&2
	return 1
}

stop() {
	[ -f "$pidfile" ] || return 0
	local pid
	pid="$(cat "$pidfile")"
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for _ in $(seq 1 60); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "mattermost (pid $pid) ignored SIGTERM for 30 s: killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$pidfile"
}

case "$cmd" in
start) start ;;
stop) stop ;;
*)
	echo "usage: server.sh start|stop WORKDIR" >&2
	exit 2
	;;
esac
