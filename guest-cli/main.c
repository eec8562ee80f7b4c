// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * exitcount: show the VM exits a KVM host counted, from inside a guest,
 * through the CPUID leaves of the exitcount module.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libcpuid/libcpuid.h>

#include "modes.h"

/* make EXITCOUNT_VERSION=x.y.z overrides the release's version.h */
#ifndef EXITCOUNT_VERSION
#include <exitcount/version.h>
#endif

#define MAX_INTERVAL 86400.0

enum { OPT_CSV = 0x100, OPT_REPLAY, OPT_HOST, OPT_VM, OPT_PROMETHEUS,
       OPT_PROC };

static const struct option longopts[] = {
	{ "all",	no_argument,		NULL, 'a' },
	{ "sort",	required_argument,	NULL, 's' },
	{ "total",	no_argument,		NULL, 't' },
	{ "hist",	no_argument,		NULL, 'H' },
	{ "watch",	optional_argument,	NULL, 'w' },
	{ "iterations",	required_argument,	NULL, 'n' },
	{ "output",	required_argument,	NULL, 'o' },
	{ "json",	no_argument,		NULL, 'J' },
	{ "csv",	no_argument,		NULL, OPT_CSV },
	{ "raw",	no_argument,		NULL, 'r' },
	{ "replay",	required_argument,	NULL, OPT_REPLAY },
	{ "host",	no_argument,		NULL, OPT_HOST },
	{ "vm",		required_argument,	NULL, OPT_VM },
	{ "prometheus",	no_argument,		NULL, OPT_PROMETHEUS },
	{ "proc",	required_argument,	NULL, OPT_PROC },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static const char usage_head[] =
"Usage:\n"
" exitcount [options] [REASON...]\n"
" exitcount --total [options]\n"
" exitcount --hist [options] [REASON...]\n"
" exitcount --watch[=SECONDS] [options] [REASON...]\n"
" exitcount --host [--vm=NAME|PID] [--prometheus] [options] [REASON...]\n"
"\n"
"Show the VM exits the KVM host counted per exit reason, as the host's\n"
"exitcount module answers them to this guest through CPUID leaves\n"
"0x4FFFFFFC-0x4FFFFFFF. Without REASON, list every reason the host's ISA\n"
"(VMX or SVM) defines that has exits, most exits first. With --host, on\n"
"the KVM host as root: the same for every VM, from /dev/exitcount.\n"
"\n"
"REASON is a reason number, decimal or hexadecimal with 0x, or a name,\n"
"case-insensitive, with or without the ISA's prefix (EXIT_REASON_ on VMX,\n"
"SVM_EXIT_ on SVM): 48, 0x72, EPT_VIOLATION, exit_reason_ept_violation.\n"
"\n"
"Options:\n"
" -a, --all              also list reasons without exits; show HANDLED\n"
"                          (whether KVM handles the reason)\n"
" -s, --sort=KEY         order by count (default), time, reason or rate\n"
"                          (--watch orders by rate by default)\n"
" -t, --total            totals over all exit reasons\n"
" -H, --hist             also read each reason's histogram of exit times\n"
"                          (log2 buckets): columns ~P50 ~P90 ~P99 ~MAX;\n"
"                          with REASON, a bar chart of each instead of the\n"
"                          table; JSON and CSV carry the raw buckets\n"
" -w, --watch[=SECONDS]  refresh every SECONDS (default 1) with exits per\n"
"                          second, like top; Ctrl-C quits\n"
" -n, --iterations=N     with --watch, stop after N refreshes\n"
" -o, --output=LIST      columns for the table and CSV, comma-separated\n"
" -J, --json             JSON: an object with isa, scope, tsc_khz and\n"
"                          \"reasons\" (or \"total\"); one line per refresh\n"
"                          under --watch\n"
"     --csv              CSV, with a header line of column keys\n"
" -r, --raw              instead, print every CPUID executed, in the line\n"
"                          format of `cpuid -r`\n"
"     --replay=FILE      take register values from FILE (`cpuid -r` format,\n"
"                          e.g. saved --raw output) instead of executing\n"
"                          CPUID; a leaf absent from FILE reads as zeros\n"
"                          (--host: a saved /dev/exitcount, or --host\n"
"                          --raw output; --watch takes its snapshots in\n"
"                          turn)\n"
"     --host             on the KVM host: a table per VM, from the module's\n"
"                          /dev/exitcount (root only); each VM named by its\n"
"                          QEMU -name (guest=NAME as libvirt gives it), else\n"
"                          by its pid; --raw prints what it read; --hist\n"
"                          and ~P50.. columns from its hist lines\n"
"     --vm=NAME|PID      with --host, only this VM\n"
"     --prometheus       with --host, Prometheus text (node_exporter's\n"
"                          textfile collector): exitcount_exits_total and\n"
"                          exitcount_exit_seconds_total per VM and reason;\n"
"                          with --hist, the histogram\n"
"                          exitcount_exit_duration_seconds too\n"
"     --proc=DIR         with --host, read VMs' command lines from\n"
"                          DIR/PID/cmdline instead of /proc (for tests)\n"
" -h, --help             display this help\n"
" -V, --version          display version\n"
"\n"
"Available output columns (name, JSON and CSV key, description):\n";

static const char usage_tail[] =
"\n"
"Exit status:\n"
" 0  success (also --watch ended by SIGINT or SIGTERM)\n"
" 1  failure (unreadable or malformed replay file, unknown host ISA, --hist\n"
"    on a host without histograms)\n"
" 2  usage error (bad option, unknown exit reason)\n"
" 3  exitcount not available here: bare metal, another hypervisor, KVM\n"
"    without the exitcount module (or with guest_query=0), or an exitcount\n"
"    ABI other than 1; --host: no /dev/exitcount, or a host view version\n"
"    other than 1\n"
"\n"
"Notes:\n"
" Every query is a CPUID instruction, and so itself a VM exit that the host\n"
" counts. The table reads only what it shows: 2 CPUIDs for the host info;\n"
" the bitmap of reasons with exits (with --all: of reasons KVM handles), 1\n"
" CPUID per block of 128 reason numbers holding a reason of the ISA (VMX 1,\n"
" SVM 3); 2 per reason shown and 2 for the totals, each pair 4 while its\n"
" count is within 2^31 of carrying into its high 32 bits. A named reason\n"
" costs 2 (or 4) and, if it reads as zeros, the handled bitmap of its block:\n"
" 1, once per block. One reason costs 6 or 7, --total 4. --watch repeats all\n"
" but the host info every refresh. These exits are real and show in the\n"
" CPUID row (VMX 10, SVM 0x072) and in --watch rates.\n"
"\n"
" --hist costs 1 CPUID more for the histogram layout (leaf 0x4FFFFFFC\n"
" subleaf 2) and 9 per reason with exits (subleaves 0x01000000 + reason *\n"
" 0x100 + 0..8, 3 buckets each).\n"
"\n"
" Histograms: bucket 0 holds the exits that took less than 256 host TSC\n"
" cycles, bucket i (1-25) those of 2^(7+i) to 2^(8+i) cycles, bucket 26 the\n"
" rest. A percentile is estimated from them, linearly within its bucket\n"
" (so off by up to the bucket's width: a factor of 2), MAX is the upper\n"
" edge of the highest bucket with exits; \"~\" marks these estimates.\n"
" Under --watch they are of the last interval (bucket differences). An\n"
" exit still in progress (this CPUID, or one in user space) is not yet\n"
" in a bucket.\n"
"\n"
" TIME is the host's TSC cycles spent handling the exits, converted with\n"
" the host's TSC frequency (leaf 0x4FFFFFFC subleaf 1 ECX, in kHz):\n"
" us = cycles * 1000 / tsc_khz. Without a host frequency it shows \"-\".\n"
"\n"
" The scope (host: all guests; vm: this guest only) is chosen when the\n"
" module is loaded. A reason KVM does not handle reads as four zero\n"
" registers, and so does a handled reason with no exits yet; the handled\n"
" bitmap (leaf 0x4FFFFFFC subleaf 0x100+k) tells them apart: COUNT 0 and\n"
" HANDLED \"yes\" for the one, COUNT \"-\" and HANDLED \"no\" for the other.\n";

static void usage(void)
{
	fputs(usage_head, stdout);
	ec_print_columns_help(stdout);
	fputs(usage_tail, stdout);
	exit(EC_EXIT_OK);
}

static void version(void)
{
	printf("exitcount %s (exitcount ABI %u, libcpuid %s)\n",
	       EXITCOUNT_VERSION, EC_ABI_VERSION, cpuid_lib_version());
	exit(EC_EXIT_OK);
}

static void bad_usage(const char *what, const char *arg)
{
	fprintf(stderr, "exitcount: %s%s%s%s\n", what, arg ? " '" : "",
		arg ? arg : "", arg ? "'" : "");
	ec_usage_hint();
	exit(EC_EXIT_USAGE);
}

/* ---- option values ------------------------------------------------------- */

static enum ec_sort_key parse_sort(const char *arg)
{
	static const char *const keys[] = {
		[EC_SORT_COUNT] = "count", [EC_SORT_REASON] = "reason",
		[EC_SORT_TIME] = "time", [EC_SORT_RATE] = "rate",
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(arg, keys[i]) == 0)
			return (enum ec_sort_key)i;
	bad_usage("unknown sort key", arg);
	return EC_SORT_COUNT;
}

static double parse_seconds(const char *arg)
{
	char *end;
	double v;

	if (!arg)
		return 1.0;
	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v <= 0.0 ||
	    v > MAX_INTERVAL)
		bad_usage("invalid interval (seconds, > 0)", arg);
	return v;
}

static unsigned long parse_count(const char *arg)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v == 0)
		bad_usage("invalid number of iterations", arg);
	return v;
}

static void parse_output(char *arg, struct ec_opts *o)
{
	char *save = NULL, *name;

	for (name = strtok_r(arg, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		int id = ec_column_by_name(name);

		if (id < 0)
			bad_usage("unknown column", name);
		if (o->nr_cols == EC_NR_COLS)
			bad_usage("too many columns", NULL);
		o->cols[o->nr_cols++] = (enum ec_col_id)id;
	}
	if (!o->nr_cols)
		bad_usage("no columns given", NULL);
}

/* ---- options ------------------------------------------------------------- */

static void set_format(struct ec_opts *o, enum ec_format f)
{
	if (o->format != EC_FMT_TABLE && o->format != f)
		bad_usage("--json, --csv and --prometheus are mutually "
			  "exclusive", NULL);
	o->format = f;
}

static void set_mode(struct ec_opts *o, enum ec_mode m)
{
	if (o->mode != EC_MODE_REASONS && o->mode != m)
		bad_usage("--total and --watch are mutually exclusive", NULL);
	o->mode = m;
}

static void take_option(int c, struct ec_opts *o)
{
	switch (c) {
	case 'a': o->all = true; break;
	case 's': o->sort = parse_sort(optarg); o->sort_given = true; break;
	case 't': set_mode(o, EC_MODE_TOTAL); break;
	case 'H': o->hist = true; break;
	case 'w':
		set_mode(o, EC_MODE_WATCH);
		o->interval = parse_seconds(optarg);
		break;
	case 'n': o->iterations = parse_count(optarg); break;
	case 'o': parse_output(optarg, o); break;
	case 'J': set_format(o, EC_FMT_JSON); break;
	case OPT_CSV: set_format(o, EC_FMT_CSV); break;
	case 'r': o->raw = true; break;
	case OPT_REPLAY: o->replay = optarg; break;
	case OPT_HOST: o->host = true; break;
	case OPT_VM: o->vm = optarg; break;
	case OPT_PROMETHEUS: set_format(o, EC_FMT_PROMETHEUS); break;
	case OPT_PROC: o->proc = optarg; break;
	case 'h': usage(); break;
	case 'V': version(); break;
	default: ec_usage_hint(); exit(EC_EXIT_USAGE);
	}
}

static void check_options(const struct ec_opts *o)
{
	if (o->raw && o->format != EC_FMT_TABLE)
		bad_usage("--raw excludes --json and --csv", NULL);
	if (o->mode == EC_MODE_TOTAL && o->nr_reasons)
		bad_usage("--total takes no REASON", NULL);
	if (o->mode == EC_MODE_TOTAL && o->hist)
		bad_usage("--total has no histogram", NULL);
	if (o->iterations && o->mode != EC_MODE_WATCH)
		bad_usage("--iterations needs --watch", NULL);
	if (o->nr_cols && o->format == EC_FMT_JSON)
		bad_usage("--output applies to the table and CSV, not JSON",
			  NULL);
	if (!o->host && (o->vm || o->proc || o->format == EC_FMT_PROMETHEUS))
		bad_usage("--vm, --proc and --prometheus need --host", NULL);
	if (o->format == EC_FMT_PROMETHEUS &&
	    (o->mode != EC_MODE_REASONS || o->raw || o->nr_cols))
		bad_usage("--prometheus excludes --total, --watch, --raw and "
			  "--output", NULL);
}

static void parse_options(int argc, char **argv, struct ec_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->sort = EC_SORT_COUNT;
	o->interval = 1.0;
	while ((c = getopt_long(argc, argv, "as:tHw::n:o:JrhV", longopts,
				NULL)) != -1)
		take_option(c, o);
	o->reasons = argv + optind;
	o->nr_reasons = (size_t)(argc - optind);
	check_options(o);
}

/* ---- main ---------------------------------------------------------------- */

static struct ec_src *open_replay(const char *path)
{
	char err[256];
	struct ec_src *src;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "exitcount: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	src = ec_src_replay(f, path, err, sizeof(err));
	fclose(f);
	if (!src)
		fprintf(stderr, "exitcount: %s\n", err);
	return src;
}

static struct ec_src *open_source(const struct ec_opts *o)
{
	struct ec_src *src;

	if (o->replay)
		return open_replay(o->replay);
	src = ec_src_cpuid();
	if (!src)
		fputs("exitcount: this CPU has no CPUID instruction\n",
		      stderr);
	return src;
}

int main(int argc, char **argv)
{
	struct ec_opts o;
	enum ec_exit rc;

	parse_options(argc, argv, &o);
	if (o.host) {
		rc = ec_run_host(&o);
	} else {
		struct ec_src *src = open_source(&o);

		if (!src)
			return EC_EXIT_FAILURE;
		rc = ec_run(&o, src);
		ec_src_free(src);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "exitcount: write error: %s\n",
			strerror(errno));
		rc = EC_EXIT_FAILURE;
	}
	return (int)rc;
}
