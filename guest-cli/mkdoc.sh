#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The man page and the bash completion, made from the CLI's own --help
# (main.c's usage text and columns.c's table), so that the options, the
# columns and the exit statuses are written down in one place only.
#
#   mkdoc.sh man EXITCOUNT          exitcount(1) in roff, on stdout
#   mkdoc.sh completion EXITCOUNT   bash completion, from
#                                   exitcount.bash-completion.in
#
# SOURCE_DATE_EPOCH (set by dpkg-buildpackage) dates the man page.
set -eu

here=$(dirname "$0")
[ $# -eq 2 ] || { echo "usage: $0 man|completion EXITCOUNT" >&2; exit 2; }
help=$("$2" --help)
version=$("$2" --version | awk '{ print $2; exit }')
if [ -z "$help" ] || [ -z "$version" ]; then
	echo "$0: no --help/--version from $2" >&2
	exit 1
fi

man() {
	date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)
	cat <<EOF
.\\" SPDX-License-Identifier: GPL-2.0 OR MIT
.\\" Made by guest-cli/mkdoc.sh from exitcount --help: edit main.c and
.\\" columns.c, not this file.
.TH EXITCOUNT 1 $date "exitcount $version" "User Commands"
.nh
.SH NAME
exitcount \\- show the VM exits a KVM host counted, from inside a guest
EOF
	printf '%s\n' "$help" | awk '
	# s with every "from" replaced by "to" (no regular expressions:
	# awks differ on backslashes in gsub replacements)
	function repl(s, from, to,    out, i) {
		out = ""
		while ((i = index(s, from)) > 0) {
			out = out substr(s, 1, i - 1) to
			s = substr(s, i + length(from))
		}
		return out s
	}
	function trim(s) { sub(/^ +/, "", s); sub(/ +$/, "", s); return s }
	function esc(s) {
		s = repl(repl(trim(s), "\\", "\\e"), "-", "\\-")
		return s ~ /^[.'\'']/ ? "\\&" s : s
	}
	# "-w, --watch[=SECONDS]": names bold, the argument italic
	function spec(s,    n, parts, i, out, name, arg) {
		n = split(s, parts, ", ")
		out = ""
		for (i = 1; i <= n; i++) {
			name = parts[i]
			arg = ""
			if (match(name, /[[=]/)) {
				arg = substr(name, RSTART)
				name = substr(name, 1, RSTART - 1)
				match(arg, /[A-Z]+/)
				arg = substr(arg, 1, RSTART - 1) "\\fI" substr(arg, RSTART, RLENGTH) \
					"\\fR" substr(arg, RSTART + RLENGTH)
			}
			out = out (i > 1 ? ", " : "") "\\fB" esc(name) "\\fR" arg
		}
		return out
	}
	$0 == "Usage:" { sect = "usage"; print ".SH SYNOPSIS"; print ".nf"; next }
	sect == "usage" && $0 == "" {
		print ".fi"; print ".SH DESCRIPTION"; sect = "prose"; para = 0; next
	}
	sect == "usage" { print esc($0); next }
	$0 == "Options:" { sect = "options"; print ".SH OPTIONS"; next }
	/^Available output columns/ {
		sect = "columns"
		print ".SH COLUMNS"
		print "Column names for \\fB\\-\\-output\\fR (any case), with the key"
		print "of each in JSON objects and the CSV header:"
		next
	}
	$0 == "Exit status:" { sect = "status"; print ".SH \"EXIT STATUS\""; next }
	$0 == "Notes:" { sect = "prose"; para = 0; print ".SH NOTES"; next }
	/^[^ ].*:$/ { printf "mkdoc.sh: unknown --help section: %s\n", $0 > "/dev/stderr"; bad = 1; next }
	$0 == "" { para = 1; next }
	sect == "prose" { if (para) print ".PP"; para = 0; print esc($0); next }
	sect == "options" && /^ +-/ {
		line = trim($0)
		i = index(line, "  ")
		print ".TP"
		print spec(substr(line, 1, i - 1))
		print esc(substr(line, i))
		next
	}
	sect == "columns" && /^ [A-Z]/ {
		print ".TP"
		printf "\\fB%s\\fR (key \\fB%s\\fR)\n", esc($1), esc($2)
		sub(/^ *[^ ]+ +[^ ]+ +/, "")
		print esc($0)
		next
	}
	sect == "status" && /^ [0-9]/ {
		print ".TP"
		print "\\fB" $1 "\\fR"
		sub(/^ *[0-9]+ +/, "")
		print esc($0)
		next
	}
	sect == "options" || sect == "status" { print esc($0); next }
	{ printf "mkdoc.sh: unexpected --help line: %s\n", $0 > "/dev/stderr"; bad = 1 }
	END { exit bad }'
	cat <<'EOF'
.SH EXAMPLES
.TP
.B exitcount
this VM's exits per reason, most first
.TP
.B exitcount \-\-all \-\-sort=reason
every reason of the ISA, by number
.TP
.B exitcount cpuid hlt
two reasons, by name (the same names on VMX and SVM hosts)
.TP
.B exitcount \-\-watch=2
exits per second, refreshed every 2 seconds
.TP
.B exitcount \-\-raw > saved; exitcount \-\-replay=saved \-\-json
the CPUIDs executed, then the same table from them, as JSON
.SH "SEE ALSO"
.BR cpuid (1)
.PP
The exitcount module on the KVM host: /usr/share/doc/exitcount-dkms/.
EOF
}

# Word lists for the completion: options, --sort's keys, column names.
completion() {
	words=$(printf '%s\n' "$help" | awk '
		$0 == "Options:" { sect = "options"; next }
		/^Available output columns/ { sect = "columns"; next }
		/^[^ ]/ { sect = "" }
		sect == "options" && /^ +-/ {
			sub(/^ +/, "")
			n = split(substr($0, 1, index($0, "  ") - 1), parts, ", ")
			for (i = 1; i <= n; i++) {
				o = parts[i]
				if (o ~ /\[=/)		# optional argument: both forms
					opts = opts " " substr(o, 1, index(o, "[") - 1)
				if (match(o, /[[=]/))
					o = substr(o, 1, RSTART - 1) "="
				opts = opts " " o
			}
			if (o == "--sort=") {
				keys = substr($0, index($0, "order by ") + 9)
				gsub(/\(default\)|,| or /, " ", keys)
			}
		}
		sect == "columns" && /^ [A-Z]/ { cols = cols " " $1 }
		END { print opts; print keys; print cols }' | sed 's/^ *//; s/  */ /g; s/ *$//')
	opts=$(echo "$words" | sed -n 1p)
	keys=$(echo "$words" | sed -n 2p)
	cols=$(echo "$words" | sed -n 3p)
	if [ -z "$opts" ] || [ -z "$keys" ] || [ -z "$cols" ]; then
		echo "$0: options, sort keys or columns not found in --help" >&2
		exit 1
	fi
	sed -e "s|@OPTIONS@|$opts|" -e "s|@SORT_KEYS@|$keys|" -e "s|@COLUMNS@|$cols|" \
		"$here/exitcount.bash-completion.in"
}

case $1 in
man) man ;;
completion) completion ;;
*) echo "usage: $0 man|completion EXITCOUNT" >&2; exit 2 ;;
esac
