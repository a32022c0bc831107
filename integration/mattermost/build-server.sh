#!/usr/bin/env bash
# Builds Mattermost server $MM_VERSION from a throwaway Go module outside the project's go.mod, or
# reuses the build cached from an earlier run, and prints the directory holding it:
#   DIR/bin/mattermost, DIR/i18n, DIR/templates, DIR/fonts
# The cache is keyed by version: MM_CACHE_DIR, else $XDG_CACHE_HOME (or ~/.cache)/discourse-chatbot.
set -euo pipefail

MM_VERSION="${MM_VERSION:-6.7.2}"
cache_root="${MM_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/var/cache}/.cache}/discourse-chatbot}"
dir="$cache_root/mattermost-server-$MM_VERSION"

if [ -x "$dir/bin/mattermost" ] && [ -f "$dir/.complete" ]; then
	echo "$dir"
	exit 0
fi

echo "building Mattermost server $MM_VERSION into $dir (a few minutes when cold)" >&2
start=$(date +%s)
rm -rf "$dir"
mkdir -p "$dir"
mod="$dir/module"
mkdir -p "$mod"
cd "$mod"

# The server's own replace and exclude directives (from its go.mod), which a dependent module
# must repeat: the squirrel fork, and the bitset/roaring versions that changed their module path.
cat > go.mod <<MOD
module mattermost-server-build

go 1.22

require github.com/mattermost/mattermost-server/v6 v$MM_VERSION

replace github.com/Masterminds/squirrel v1.5.2 => github.com/lieut-data/squirrel v1.5.4

exclude (
	github.com/RoaringBitmap/roaring v0.7.0
	github.com/RoaringBitmap/roaring v0.7.1
	github.com/willf/bitset v1.2.0
)
MOD

# The checksum database has no entry for the squirrel fork: skip it for that one path only.
export GONOSUMDB="github.com/lieut-data${GONOSUMDB:+,$GONOSUMDB}"
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0
pkg="github.com/mattermost/mattermost-server/v6/cmd/mattermost"
go get "$pkg@v$MM_VERSION" >&2
# -checklinkname=0: the server's old golang.org/x/net links to runtime internals by name, which
# current linkers refuse by default.
go build -trimpath -ldflags=-checklinkname=0 -o "$dir/bin/mattermost" "$pkg" >&2

src="$(go list -m -f '{{.Dir}}' github.com/mattermost/mattermost-server/v6)"
for d in i18n templates fonts; do
	cp -r "$src/$d" "$dir/$d"
	chmod -R u+w "$dir/$d"
done
touch "$dir/.complete"
echo "built Mattermost server $MM_VERSION in $(($(date +%s) - start)) s" >&2
echo "$dir"
