/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The column table: one entry per column drives the table header, the
 * column list of --help, --output, the CSV header and the JSON keys.
 */
#ifndef EXITCOUNT_CLI_COLUMNS_H
#define EXITCOUNT_CLI_COLUMNS_H

#include "gather.h"

enum ec_col_id {
	EC_COL_NR,
	EC_COL_NAME,
	EC_COL_RATE,
	EC_COL_COUNT,
	EC_COL_TIME,
	EC_COL_AVG,
	EC_COL_SHARE,
	EC_COL_P50,
	EC_COL_P90,
	EC_COL_P99,
	EC_COL_MAX,
	EC_COL_DEFINED,
	EC_COL_HANDLED,
	EC_NR_COLS
};

/* What the command shows; the columns' default sets are per mode. */
enum ec_mode {
	EC_MODE_REASONS,	/* the table, or the reasons named */
	EC_MODE_TOTAL,		/* --total */
	EC_MODE_WATCH,		/* --watch */
};

#define EC_IN(mode)	(1u << (mode))
#define EC_IN_ALL	(1u << 3)	/* shown by default with --all */
#define EC_IN_HIST	(1u << 4)	/* only with --hist */

/* How JSON writes a value: quoted, bare, true/false, null. */
enum ec_value_kind { EC_VAL_STR, EC_VAL_NUM, EC_VAL_BOOL, EC_VAL_NULL };

#define EC_CELL_MAX 32

struct ec_cell {
	enum ec_value_kind kind;
	char text[EC_CELL_MAX];
};

struct ec_column {
	const char *name;	/* for --output */
	const char *header;	/* table header */
	const char *help;	/* --help */
	const char *key;	/* JSON key and CSV header */
	bool right;		/* right-aligned in the table */
	unsigned int dfl;	/* EC_IN(mode) bits: shown by default */
	unsigned int json;	/* EC_IN(mode) bits: in the JSON */
	/* @machine: the value for JSON and CSV, else for people */
	void (*print)(const struct ec_row *row, const struct ec_host *host,
		      bool machine, struct ec_cell *cell);
};

extern const struct ec_column ec_columns[EC_NR_COLS];

/* The column called @name (case-insensitive), or -1. */
int ec_column_by_name(const char *name);

/* Default columns for @mode into @ids (EC_NR_COLS room); their number. */
size_t ec_default_columns(enum ec_mode mode, bool all, bool hist, bool json,
			  enum ec_col_id *ids);

/* Whether column @id needs the histograms. */
bool ec_column_needs_hist(enum ec_col_id id);

/* A time in ns for people (ns, us, ms or s) or machines (ns). */
void ec_time_cell(double ns, bool machine, struct ec_cell *c);

#endif /* EXITCOUNT_CLI_COLUMNS_H */
