/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Printing gathered rows: an aligned table, JSON, CSV; and the raw
 * registers of the CPUIDs executed, in `cpuid -r` format.
 */
#ifndef EXITCOUNT_CLI_OUTPUT_H
#define EXITCOUNT_CLI_OUTPUT_H

#include <stdio.h>

#include "columns.h"
#include "source.h"

enum ec_format { EC_FMT_TABLE, EC_FMT_JSON, EC_FMT_CSV, EC_FMT_PROMETHEUS };

/* --host: the VM whose rows a view holds. */
struct ec_vm_label {
	unsigned long id;	/* the module's number for it */
	long pid;
	const char *name;	/* its VMM's name for it, else the pid */
};

struct ec_view {
	const struct ec_snapshot *snap;
	enum ec_mode mode;	/* EC_MODE_TOTAL prints snap->total alone */
	enum ec_format format;
	const enum ec_col_id *cols;
	size_t nr_cols;
	bool header;		/* table and CSV: print the header line */
	double interval;	/* --watch: seconds, for JSON */
	const struct ec_vm_label *vm;	/* --host; NULL in a guest */
	bool charts;		/* table: ec_print_hist()'s charts instead */
};

void ec_print(FILE *out, const struct ec_view *v);

/*
 * --host: the views of @n VMs in @v's format: a titled table each, one
 * CSV (the VM's name and pid first), one JSON document, or Prometheus
 * text. @head's snapshot holds the host (no rows), its mode and interval
 * those of the views. @all, if not NULL, all VMs' since load: a last
 * table, or JSON's "all"; left out of CSV and Prometheus, whose users
 * sum the VMs' rows and would count its exits twice.
 */
void ec_print_host(FILE *out, const struct ec_view *head,
		   const struct ec_view *v, size_t n,
		   const struct ec_view *all);

void ec_print_raw(FILE *out, const struct ec_cpuid *c, size_t n);

/*
 * --hist with reasons: each row's histogram as a bar chart, one line per
 * bucket from the first with exits to the last.
 */
void ec_print_hist(FILE *out, const struct ec_snapshot *snap);

/* The column list of --help, from the column table. */
void ec_print_columns_help(FILE *out);

#endif /* EXITCOUNT_CLI_OUTPUT_H */
