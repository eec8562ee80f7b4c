// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer entry for the guest CLI's input paths: the bytes are a replay
 * file, run through detection, gathering and every output format; and,
 * as a string, an exit reason operand for both ISAs, whose parse must
 * give the reason the string spells by the rules of --help, or fail;
 * and --host's inputs: a host view, and a /proc/PID/cmdline to name a VM.
 *
 *   make -C tests/fuzz fuzz-short    (or fuzz, FUZZ_SECONDS=...)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gather.h"
#include "hostview.h"
#include "names.h"
#include "output.h"

static void print_all_formats(FILE *out, const struct ec_snapshot *snap)
{
	enum ec_col_id cols[EC_NR_COLS];
	struct ec_view v = { snap, EC_MODE_REASONS, EC_FMT_TABLE, cols, 0,
			     true, 1.0, NULL, false };
	int f;

	for (f = EC_FMT_TABLE; f <= EC_FMT_CSV; f++) {
		v.format = (enum ec_format)f;
		v.nr_cols = ec_default_columns(EC_MODE_REASONS, true,
					       snap->hist, f == EC_FMT_JSON,
					       cols);
		ec_print(out, &v);
	}
	if (snap->hist)
		ec_print_hist(out, snap);
}

static void gather_print(struct ec_src *src, const struct ec_host *host,
			 const struct ec_want *w, FILE *out)
{
	struct ec_snapshot snap;

	if (ec_gather(src, host, w, &snap))
		print_all_formats(out, &snap);
	ec_snapshot_free(&snap);
}

static void replay(const uint8_t *data, size_t size, FILE *out)
{
	static const uint32_t named[] = { 0, 48, 0x7b, 0xa6, 0x403 };
	char err[128];
	char msg[160];
	struct ec_host host;
	struct ec_src *src;
	FILE *in = fmemopen((void *)data, size, "r");

	if (!in)
		return;
	src = ec_src_replay(in, "fuzz", err, sizeof(err));
	fclose(in);
	if (!src)
		return;
	if (ec_probe(src, &host, msg, sizeof(msg)) == EC_PROBE_OK) {
		int hist;

		/*
		 * The table with its active reasons, then with --all, then
		 * named reasons, defined or not on either ISA; each without
		 * and with histograms.
		 */
		for (hist = 0; hist <= 1; hist++) {
			struct ec_want w = { NULL, 0, false, hist };

			gather_print(src, &host, &w, out);
			w.all = true;
			gather_print(src, &host, &w, out);
			w = (struct ec_want){ named, sizeof(named) / sizeof(named[0]),
					      false, hist };
			gather_print(src, &host, &w, out);
		}
	}
	ec_src_free(src);
}

/* Value of digit @c in @base, or -1. */
static int digit(char c, unsigned int base)
{
	int v;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	else
		return -1;
	return (unsigned int)v < base ? v : -1;
}

/* @s as a reason number: decimal, or hex after 0x/0X; digits only. */
static bool spelled_number(const char *s, uint32_t *nr)
{
	unsigned int base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		int d = digit(*s, base);

		if (d < 0)
			return false;
		v = v * base + (unsigned int)d;
		if (v > UINT32_MAX)
			return false;
	}
	*nr = (uint32_t)v;
	return true;
}

/* @s as a reason name, any case, with or without the ISA's prefix. */
static bool spelled_name(const struct ec_isa_table *t, const char *s,
			 uint32_t *nr)
{
	size_t len = strlen(t->prefix);
	bool prefixed = strncasecmp(s, t->prefix, len) == 0;
	uint32_t i;

	for (i = 0; i <= t->max_nr; i++) {
		const char *name = ec_reason_name(t, i);

		if (name && (strcasecmp(s, name) == 0 ||
			     (prefixed && strcasecmp(s + len, name) == 0))) {
			*nr = i;
			return true;
		}
	}
	return false;
}

/*
 * The reason @s names in @t: a number the table defines, or a name. Found
 * by reason number here, where the parser goes by slot.
 */
static bool spelled_reason(const struct ec_isa_table *t, const char *s,
			   uint32_t *nr)
{
	if (spelled_number(s, nr))
		return ec_reason_name(t, *nr) != NULL;
	return spelled_name(t, s, nr);
}

static void check_operand(const struct ec_isa_table *t, const char *s)
{
	uint32_t got = 0, want = 0;
	bool parsed = ec_parse_reason(t, s, &got);
	bool spelled = spelled_reason(t, s, &want);

	if (parsed && !spelled)
		fprintf(stderr, "%s: '%s' parsed as %#" PRIx32
			", but spells no reason\n", t->isa_name, s, got);
	else if (!parsed && spelled)
		fprintf(stderr, "%s: '%s' not parsed, but spells %#" PRIx32
			"\n", t->isa_name, s, want);
	else if (parsed && got != want)
		fprintf(stderr, "%s: '%s' parsed as %#" PRIx32
			", but spells %#" PRIx32 "\n", t->isa_name, s, got,
			want);
	else
		return;
	abort();
}

static void operand(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	check_operand(&ec_vmx_table, s);
	check_operand(&ec_svm_table, s);
	free(s);
}

/* A parsed host view has its ISA; a name found is a string of its own. */
static void host_inputs(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[160], name[EC_VM_NAME_MAX];
	struct ec_hostview hv;
	bool absent;

	if (!text)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if (ec_hv_parse(text, &hv, err, sizeof(err), &absent) && !hv.host.table)
		abort();
	ec_hv_free(&hv);
	if (ec_vm_name_of_cmdline(text, size, name, sizeof(name)) &&
	    (!name[0] || strlen(name) >= sizeof(name)))
		abort();
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;

	if (!null)
		null = fopen("/dev/null", "w");
	if (!null || size == 0)
		return 0;
	replay(data, size, null);
	operand(data, size);
	host_inputs(data, size);
	return 0;
}
