// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The columns: one table, one printer per column.
 */
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>

#include "columns.h"

#define NS_PER_US 1000u
#define NS_PER_MS 1000000u
#define NS_PER_S 1000000000u
#define SHARE_SHOWN 0.1	/* smallest share the table prints as a number */

/* Set @c to a value of kind @k formatted by printf from the arguments. */
#define cell(c, k, ...)							\
	do {								\
		(c)->kind = (k);					\
		(void)snprintf((c)->text, sizeof((c)->text), __VA_ARGS__); \
	} while (0)

/* "-" for people, null for machines: a value that does not exist. */
static void none(struct ec_cell *c, bool machine)
{
	if (machine)
		cell(c, EC_VAL_NULL, "null");
	else
		cell(c, EC_VAL_STR, "-");
}

static void print_nr(const struct ec_row *row, const struct ec_host *host,
		     bool machine, struct ec_cell *c)
{
	if (machine || host->table->isa != EC_ISA_SVM)
		cell(c, EC_VAL_NUM, "%" PRIu32, row->nr);
	else
		cell(c, EC_VAL_NUM, "0x%03" PRIx32, row->nr);
}

static void print_name(const struct ec_row *row, const struct ec_host *host,
		       bool machine, struct ec_cell *c)
{
	(void)host;
	(void)machine;
	cell(c, EC_VAL_STR, "%s", row->name ? row->name : "?");
}

static void print_count(const struct ec_row *row, const struct ec_host *host,
			bool machine, struct ec_cell *c)
{
	(void)host;
	if (!row->handled && !machine)
		none(c, machine);
	else
		cell(c, EC_VAL_NUM, "%" PRIu64, row->count);
}

static void print_time(const struct ec_row *row, const struct ec_host *host,
		       bool machine, struct ec_cell *c)
{
	(void)host;
	if (!row->time_known || (!row->handled && !machine))
		none(c, machine);
	else if (machine)
		cell(c, EC_VAL_NUM, "%" PRIu64, row->time_ns);
	else
		cell(c, EC_VAL_NUM, "%" PRIu64, row->time_ns / NS_PER_US);
}

void ec_time_cell(double ns, bool machine, struct ec_cell *c)
{
	if (machine)
		cell(c, EC_VAL_NUM, "%.0f", ns);
	else if (ns >= NS_PER_S)
		cell(c, EC_VAL_NUM, "%.2fs", ns / NS_PER_S);
	else if (ns >= NS_PER_MS)
		cell(c, EC_VAL_NUM, "%.1fms", ns / NS_PER_MS);
	else if (ns >= NS_PER_US)
		cell(c, EC_VAL_NUM, "%.1fus", ns / NS_PER_US);
	else
		cell(c, EC_VAL_NUM, "%.0fns", ns);
}

static void print_avg(const struct ec_row *row, const struct ec_host *host,
		      bool machine, struct ec_cell *c)
{
	(void)host;
	if (!row->time_known || !row->count) {
		none(c, machine);
		return;
	}
	ec_time_cell((double)row->time_ns / (double)row->count, machine, c);
}

/*
 * A percentile of the row's histogram (of the interval under --watch):
 * ">" before a time in the overflow bucket, its lower edge.
 */
static void percentile(const struct ec_row *row, const struct ec_host *host,
		       double p, bool machine, struct ec_cell *c)
{
	struct ec_cell t;
	double cycles;
	bool above;

	if (!host->hist_buckets || !host->tsc_khz ||
	    !ec_hist_percentile(host, row->dist, p, &cycles, &above)) {
		none(c, machine);
		return;
	}
	ec_time_cell(cycles * 1e6 / host->tsc_khz, machine, &t);
	if (above && !machine)
		cell(c, EC_VAL_STR, ">%.*s", EC_CELL_MAX - 2, t.text);
	else
		*c = t;
}

static void print_p50(const struct ec_row *row, const struct ec_host *host,
		      bool machine, struct ec_cell *c)
{
	percentile(row, host, 0.50, machine, c);
}

static void print_p90(const struct ec_row *row, const struct ec_host *host,
		      bool machine, struct ec_cell *c)
{
	percentile(row, host, 0.90, machine, c);
}

static void print_p99(const struct ec_row *row, const struct ec_host *host,
		      bool machine, struct ec_cell *c)
{
	percentile(row, host, 0.99, machine, c);
}

static void print_max(const struct ec_row *row, const struct ec_host *host,
		      bool machine, struct ec_cell *c)
{
	percentile(row, host, 1.0, machine, c);
}

static void print_share(const struct ec_row *row, const struct ec_host *host,
			bool machine, struct ec_cell *c)
{
	(void)host;
	if (row->share < 0.0 || (!row->handled && !machine))
		none(c, machine);
	else if (machine)
		cell(c, EC_VAL_NUM, "%.4f", row->share);
	else if (row->share > 0.0 && row->share < SHARE_SHOWN)
		cell(c, EC_VAL_NUM, "<%.1f", SHARE_SHOWN);
	else
		cell(c, EC_VAL_NUM, "%.1f", row->share);
}

static void print_rate(const struct ec_row *row, const struct ec_host *host,
		       bool machine, struct ec_cell *c)
{
	(void)host;
	cell(c, EC_VAL_NUM, machine ? "%.1f" : "%.0f", row->rate);
}

static void yes_no(bool v, bool machine, struct ec_cell *c)
{
	if (machine)
		cell(c, EC_VAL_BOOL, "%s", v ? "true" : "false");
	else
		cell(c, EC_VAL_STR, "%s", v ? "yes" : "no");
}

static void print_handled(const struct ec_row *row,
			  const struct ec_host *host, bool machine,
			  struct ec_cell *c)
{
	(void)host;
	yes_no(row->handled, machine, c);
}

static void print_defined(const struct ec_row *row,
			  const struct ec_host *host, bool machine,
			  struct ec_cell *c)
{
	(void)host;
	yes_no(row->defined, machine, c);
}

#define REASONS	EC_IN(EC_MODE_REASONS)
#define TOTAL	EC_IN(EC_MODE_TOTAL)
#define WATCH	EC_IN(EC_MODE_WATCH)
#define HIST	(REASONS | WATCH | EC_IN_HIST)

const struct ec_column ec_columns[EC_NR_COLS] = {
	[EC_COL_NR] = { "NR", "NR",
		"exit reason number (VMX decimal, SVM hexadecimal)",
		"number", true, REASONS | WATCH, REASONS | WATCH, print_nr },
	[EC_COL_NAME] = { "NAME", "NAME",
		"exit reason name, without EXIT_REASON_ or SVM_EXIT_",
		"name", false, REASONS | WATCH, REASONS | WATCH, print_name },
	[EC_COL_RATE] = { "RATE", "EXITS/S",
		"exits per second over the last interval (--watch)",
		"per_second", true, WATCH, WATCH, print_rate },
	[EC_COL_COUNT] = { "COUNT", "COUNT",
		"exits counted (\"-\": the reason is not handled by KVM)",
		"count", true, REASONS | TOTAL | WATCH, REASONS | TOTAL | WATCH,
		print_count },
	[EC_COL_TIME] = { "TIME", "TIME(us)",
		"host time spent handling them, microseconds (JSON: ns)",
		"time_ns", true, REASONS | TOTAL, REASONS | TOTAL | WATCH,
		print_time },
	[EC_COL_AVG] = { "AVG", "AVG",
		"average time per exit, ns, us, ms or s", "avg_ns", true,
		REASONS | TOTAL | WATCH, 0, print_avg },
	[EC_COL_SHARE] = { "SHARE", "SHARE(%)",
		"share of all exits, percent", "share_pct", true,
		REASONS, 0, print_share },
	[EC_COL_P50] = { "P50", "~P50",
		"median time per exit, estimated from log2 buckets (--hist; "
		"--watch: of the interval)", "est_p50_ns", true, HIST, HIST,
		print_p50 },
	[EC_COL_P90] = { "P90", "~P90",
		"90th percentile, estimated likewise", "est_p90_ns", true,
		HIST, HIST, print_p90 },
	[EC_COL_P99] = { "P99", "~P99",
		"99th percentile, estimated likewise", "est_p99_ns", true,
		HIST, HIST, print_p99 },
	[EC_COL_MAX] = { "MAX", "~MAX",
		"upper edge of the slowest exit's bucket (\">\": beyond the "
		"last edge)", "est_max_ns", true, HIST, HIST, print_max },
	[EC_COL_DEFINED] = { "DEFINED", "DEFINED",
		"whether the host's exitcount defines the reason",
		"defined", false, 0, REASONS | WATCH, print_defined },
	[EC_COL_HANDLED] = { "HANDLED", "HANDLED",
		"whether the running KVM handles the reason",
		"handled", false, EC_IN_ALL, REASONS | WATCH, print_handled },
};

int ec_column_by_name(const char *name)
{
	int i;

	for (i = 0; i < EC_NR_COLS; i++)
		if (strcasecmp(ec_columns[i].name, name) == 0)
			return i;
	return -1;
}

static bool wanted(const struct ec_column *col, enum ec_mode mode, bool all,
		   bool hist, bool json)
{
	if ((json ? col->json : col->dfl) & EC_IN_HIST && !hist)
		return false;
	if (json)
		return col->json & EC_IN(mode);
	if (all && mode != EC_MODE_TOTAL && col->dfl & EC_IN_ALL)
		return true;
	return col->dfl & EC_IN(mode);
}

size_t ec_default_columns(enum ec_mode mode, bool all, bool hist, bool json,
			  enum ec_col_id *ids)
{
	size_t n = 0;
	int i;

	for (i = 0; i < EC_NR_COLS; i++)
		if (wanted(&ec_columns[i], mode, all, hist, json))
			ids[n++] = (enum ec_col_id)i;
	return n;
}

bool ec_column_needs_hist(enum ec_col_id id)
{
	return ec_columns[id].dfl & EC_IN_HIST;
}
