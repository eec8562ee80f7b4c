// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The columns: one table, one printer per column.
 */
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>

#include "columns.h"

#define NS_PER_US 1000u
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

static void print_avg(const struct ec_row *row, const struct ec_host *host,
		      bool machine, struct ec_cell *c)
{
	double ns;

	(void)host;
	if (!row->time_known || !row->count) {
		none(c, machine);
		return;
	}
	ns = (double)row->time_ns / (double)row->count;
	if (machine)
		cell(c, EC_VAL_NUM, "%.0f", ns);
	else if (ns >= NS_PER_US)
		cell(c, EC_VAL_NUM, "%.1fus", ns / NS_PER_US);
	else
		cell(c, EC_VAL_NUM, "%.0fns", ns);
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
		"average time per exit, us or ns", "avg_ns", true,
		REASONS | TOTAL | WATCH, 0, print_avg },
	[EC_COL_SHARE] = { "SHARE", "SHARE(%)",
		"share of all exits, percent", "share_pct", true,
		REASONS, 0, print_share },
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
		   bool json)
{
	if (json)
		return col->json & EC_IN(mode);
	if (all && mode != EC_MODE_TOTAL && col->dfl & EC_IN_ALL)
		return true;
	return col->dfl & EC_IN(mode);
}

size_t ec_default_columns(enum ec_mode mode, bool all, bool json,
			  enum ec_col_id *ids)
{
	size_t n = 0;
	int i;

	for (i = 0; i < EC_NR_COLS; i++)
		if (wanted(&ec_columns[i], mode, all, json))
			ids[n++] = (enum ec_col_id)i;
	return n;
}
