// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer entry for the guest CLI's input paths: the bytes are a replay
 * file, run through detection, gathering and every output format; and,
 * as a string, an exit reason operand for both ISAs.
 *
 *   make -C tests/cli fuzz && tests/cli/fuzz_cli -max_total_time=60
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gather.h"
#include "names.h"
#include "output.h"

static void print_all_formats(FILE *out, const struct ec_snapshot *snap)
{
	enum ec_col_id cols[EC_NR_COLS];
	struct ec_view v = { snap, EC_MODE_REASONS, EC_FMT_TABLE, cols, 0,
			     true, 1.0 };
	int f;

	for (f = EC_FMT_TABLE; f <= EC_FMT_CSV; f++) {
		v.format = (enum ec_format)f;
		v.nr_cols = ec_default_columns(EC_MODE_REASONS, true,
					       f == EC_FMT_JSON, cols);
		ec_print(out, &v);
	}
}

static void replay(const uint8_t *data, size_t size, FILE *out)
{
	static const uint32_t named[] = { 0, 48, 0x7b, 0xa6, 0x403 };
	char err[128];
	char msg[160];
	struct ec_host host;
	struct ec_snapshot snap;
	struct ec_src *src;
	FILE *in = fmemopen((void *)data, size, "r");

	if (!in)
		return;
	src = ec_src_replay(in, "fuzz", err, sizeof(err));
	fclose(in);
	if (!src)
		return;
	if (ec_probe(src, &host, msg, sizeof(msg)) == EC_PROBE_OK) {
		int all;

		/* the table with its active reasons, then with --all */
		for (all = 0; all <= 1; all++) {
			ec_gather(src, &host, NULL, 0, all, &snap);
			print_all_formats(out, &snap);
			ec_snapshot_free(&snap);
		}
		/* named reasons, defined or not on either ISA */
		ec_gather(src, &host, named, sizeof(named) / sizeof(named[0]),
			  false, &snap);
		print_all_formats(out, &snap);
		ec_snapshot_free(&snap);
	}
	ec_src_free(src);
}

static void operand(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	uint32_t nr;

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)ec_parse_reason(&ec_vmx_table, s, &nr);
	(void)ec_parse_reason(&ec_svm_table, s, &nr);
	free(s);
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
	return 0;
}
