#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: the nested flow of nested.sh, shown to a person.
exec "$(dirname "${BASH_SOURCE[0]}")/nested.sh" --demo "$@"
