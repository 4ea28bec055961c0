#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make install into a DESTDIR, then the installed systemd unit's start and
# stop commands (as systemd would run them: %i replaced, the config file's
# variables split into words) on a router netns: attached after start,
# nothing pinned after stop.
. "$(dirname "$0")/../lib/lib.sh"
nfx_require_root
dest=$(mktemp -d)
trap 'rm -rf "$dest"; nfx_cleanup' EXIT

t_plan 6
make -s -C "$NFX_ROOT" install DESTDIR="$dest" PREFIX=/usr >"$dest.log" 2>&1
t_eq "make install DESTDIR" $? 0
rm -f "$dest.log"
unit=$dest/usr/lib/systemd/system/nfx@.service
t_check "loader, man page, unit and example config installed" \
	test -x "$dest/usr/sbin/nfx-loader" -a -f "$dest/usr/share/man/man8/nfx-loader.8" \
	-a -f "$unit" -a -f "$dest/etc/nfx/IFNAME.conf.example"
t_check "nothing left outside DESTDIR to substitute" bash -c "! grep -q @SBINDIR@ '$unit'"

nfx_topology >/dev/null
conf=$dest/etc/nfx/$IF_RA.conf
sed -e "s|^NFX_GLOBAL_OPTS=.*|NFX_GLOBAL_OPTS=\"-n $NS_R\"|" \
    -e "s|^NFX_ATTACH_OPTS=.*|NFX_ATTACH_OPTS=\"--mode generic --zone 3\"|" \
    -e "s|^#NFX_PIN_ROOT=.*|NFX_PIN_ROOT=$NFX_PIN_ROOT|" \
    "$dest/etc/nfx/IFNAME.conf.example" >"$conf"
# systemd's expansion: %i is the instance, unquoted $VAR splits into words.
unit_cmd() {
	local line
	line=$(sed -n "s/^$1=//p" "$unit" | sed "s|%i|$IF_RA|g; s|^/usr/sbin/nfx-loader|$NFX_LOADER|")
	(set -a; . "$conf"; set +a; eval "env $line")
}
unit_cmd ExecStart >/dev/null 2>&1
st=$(nfx_loader -j status "$IF_RA" 2>/dev/null)
t_eq "ExecStart attached with the config's options" \
	"$(echo "$st" | jq -r '.[0] | "\(.attached) \(.mode) \(.zone)"')" "true generic 3"
unit_cmd ExecStop >/dev/null 2>&1
t_eq "ExecStop detached" "$?" 0
t_check "no pins left" bash -c "[ ! -e '$NFX_PIN_ROOT/$IF_RA' ]"
t_done
