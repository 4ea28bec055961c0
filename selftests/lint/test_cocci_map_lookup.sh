#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lint: scripts/coccinelle/map_lookup.cocci catches its planted bugs, passes its
# good example, and finds nothing in the tree.
c="$(dirname "$0")/../../scripts/coccinelle/check.sh"
"$c" --self map_lookup || exit $?
exec "$c" map_lookup
