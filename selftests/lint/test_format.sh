#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lint: scripts/lint/format-check.sh (see there); one TAP line for the whole tree.
exec "$(dirname "$0")/../../scripts/lint/format-check.sh"
