#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lint: scripts/coccinelle/ct_release.cocci catches its planted bugs, passes its
# good example, and finds nothing in the tree.
c="$(dirname "$0")/../../scripts/coccinelle/check.sh"
"$c" --self ct_release || exit $?
exec "$c" ct_release
