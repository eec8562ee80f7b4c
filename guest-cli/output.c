// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Output: every value is formatted first (cells), then printed as an
 * aligned table, JSON or CSV.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "xalloc.h"

#define COL_SEP " "

/* Pretty JSON for a snapshot; one line per document under --watch. */
struct json_style {
	const char *field;	/* before a top-level field */
	const char *row;	/* before a row of "reasons" */
	const char *close;	/* before "]" and the final "}" */
};

static const struct json_style json_pretty = { "\n   ", "\n      ", "\n" };
static const struct json_style json_line = { " ", " ", " " };
/* --host: a VM's fields, within "vms" */
static const struct json_style json_vm_pretty = { "\n      ", "\n         ",
						  "\n   " };

static const struct ec_row *view_rows(const struct ec_view *v, size_t *n)
{
	if (v->mode == EC_MODE_TOTAL) {
		*n = 1;
		return &v->snap->total;
	}
	*n = v->snap->nr_rows;
	return v->snap->rows;
}

static void fill(const struct ec_view *v, const struct ec_row *row,
		 size_t i, bool machine, struct ec_cell *c)
{
	ec_columns[v->cols[i]].print(row, &v->snap->host, machine, c);
}

/* ---- table --------------------------------------------------------------- */

/* Cells of all rows, row-major, and the width of each column. */
static struct ec_cell *table_cells(const struct ec_view *v, size_t *widths)
{
	size_t n, r, i;
	const struct ec_row *rows = view_rows(v, &n);
	struct ec_cell *cells = ec_xreallocarray(NULL, n * v->nr_cols + 1,
						 sizeof(*cells));

	for (i = 0; i < v->nr_cols; i++)
		widths[i] = v->header ? strlen(ec_columns[v->cols[i]].header) : 0;
	for (r = 0; r < n; r++) {
		for (i = 0; i < v->nr_cols; i++) {
			struct ec_cell *c = &cells[r * v->nr_cols + i];

			fill(v, &rows[r], i, false, c);
			if (strlen(c->text) > widths[i])
				widths[i] = strlen(c->text);
		}
	}
	return cells;
}

static void table_field(FILE *out, const struct ec_view *v, size_t i,
			const char *s, const size_t *widths)
{
	int w = (int)widths[i];
	bool last = i + 1 == v->nr_cols;

	fputs(i ? COL_SEP : "", out);
	if (ec_columns[v->cols[i]].right)
		fprintf(out, "%*s", w, s);
	else
		fprintf(out, "%-*s", last ? 0 : w, s);
}

static void print_table(FILE *out, const struct ec_view *v)
{
	size_t widths[EC_NR_COLS], n, r, i;
	struct ec_cell *cells = table_cells(v, widths);

	(void)view_rows(v, &n);
	for (i = 0; v->header && i < v->nr_cols; i++)
		table_field(out, v, i, ec_columns[v->cols[i]].header, widths);
	if (v->header)
		fputc('\n', out);
	for (r = 0; r < n; r++) {
		for (i = 0; i < v->nr_cols; i++)
			table_field(out, v, i, cells[r * v->nr_cols + i].text,
				    widths);
		fputc('\n', out);
	}
	free(cells);
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void json_value(FILE *out, const struct ec_cell *c)
{
	if (c->kind == EC_VAL_STR)
		json_string(out, c->text);
	else
		fputs(c->text, out);
}

static void json_object(FILE *out, const struct ec_view *v,
			const struct ec_row *row)
{
	struct ec_cell c;
	size_t i;

	fputc('{', out);
	for (i = 0; i < v->nr_cols; i++) {
		fill(v, row, i, true, &c);
		fprintf(out, "%s\"%s\": ", i ? ", " : "",
			ec_columns[v->cols[i]].key);
		json_value(out, &c);
	}
	if (v->snap->hist && row != &v->snap->total) {
		fputs(", \"buckets\": [", out);
		for (i = 0; i < v->snap->host.hist_buckets; i++)
			fprintf(out, "%s%" PRIu64, i ? ", " : "", row->hist[i]);
		fputc(']', out);
	}
	fputc('}', out);
}

static void json_head(FILE *out, const struct ec_view *v,
		      const struct json_style *st)
{
	const struct ec_host *h = &v->snap->host;

	fprintf(out, "{%s\"isa\": ", st->field);
	json_string(out, h->table->isa_name);
	fprintf(out, ",%s\"scope\": \"%s\"", st->field,
		ec_scope_name(h->scope));
	fprintf(out, ",%s\"tsc_khz\": %" PRIu32, st->field, h->tsc_khz);
	if (v->mode == EC_MODE_WATCH)
		fprintf(out, ",%s\"interval\": %g", st->field, v->interval);
	if (v->snap->hist)
		fprintf(out, ",%s\"hist_buckets\": %" PRIu32 ",%s"
			"\"hist_first_cycles\": %" PRIu64, st->field,
			h->hist_buckets, st->field, ec_hist_edge(h, 1));
}

static void json_rows(FILE *out, const struct ec_view *v,
		      const struct json_style *st)
{
	size_t n, r;
	const struct ec_row *rows = view_rows(v, &n);

	fprintf(out, ",%s\"reasons\": [", st->field);
	for (r = 0; r < n; r++) {
		fprintf(out, "%s%s", r ? "," : "", st->row);
		json_object(out, v, &rows[r]);
	}
	fprintf(out, "%s]", n ? st->field : "");
}

/* The rows, or the total: what follows the head. */
static void json_body(FILE *out, const struct ec_view *v,
		      const struct json_style *st)
{
	if (v->mode == EC_MODE_TOTAL) {
		fprintf(out, ",%s\"total\": ", st->field);
		json_object(out, v, &v->snap->total);
	} else {
		json_rows(out, v, st);
	}
}

static void print_json(FILE *out, const struct ec_view *v)
{
	const struct json_style *st = v->mode == EC_MODE_WATCH ?
				      &json_line : &json_pretty;

	json_head(out, v, st);
	json_body(out, v, st);
	fprintf(out, "%s}\n", st->close);
}

/*
 * --host: {"isa": ..., "vms": [{"id": 1, "pid": ..., "reasons": [...]}],
 * "all": {"reasons": [...]}}
 */
static void print_host_json(FILE *out, const struct ec_view *head,
			    const struct ec_view *v, size_t n,
			    const struct ec_view *all)
{
	bool line = head->mode == EC_MODE_WATCH;
	const struct json_style *st = line ? &json_line : &json_pretty;
	const struct json_style *vst = line ? &json_line : &json_vm_pretty;
	size_t i;

	json_head(out, head, st);
	fprintf(out, ",%s\"vms\": [", st->field);
	for (i = 0; i < n; i++) {
		fprintf(out, "%s%s{\"id\": %lu, \"pid\": %ld, \"name\": ",
			i ? "," : "", st->row, v[i].vm->id, v[i].vm->pid);
		json_string(out, v[i].vm->name);
		json_body(out, &v[i], vst);
		fputc('}', out);
	}
	fprintf(out, "%s]", n ? st->field : "");
	if (all) {
		/* json_body() begins with the comma its first key needs */
		fprintf(out, ",%s\"all\": {\"name\": ", st->field);
		json_string(out, all->vm->name);
		json_body(out, all, vst);
		fputc('}', out);
	}
	fprintf(out, "%s}\n", st->close);
}

/* ---- CSV ----------------------------------------------------------------- */

static void csv_field(FILE *out, size_t i, const char *s)
{
	fputs(i ? "," : "", out);
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* CSV: with histograms, the raw buckets after the columns. */
static void csv_buckets(FILE *out, const struct ec_view *v,
			const struct ec_row *row)
{
	unsigned int b;

	for (b = 0; v->snap->hist && b < v->snap->host.hist_buckets; b++) {
		fputc(',', out);
		if (row)
			fprintf(out, "%" PRIu64, row->hist[b]);
		else
			fprintf(out, "bucket_%u", b);
	}
}

static void print_csv(FILE *out, const struct ec_view *v)
{
	size_t n, r, i, first = v->vm ? 2 : 0;	/* --host: name, pid */
	const struct ec_row *rows = view_rows(v, &n);
	struct ec_cell c;
	char pid[24];

	if (v->header && v->vm)
		fputs("vm,pid,", out);
	for (i = 0; v->header && i < v->nr_cols; i++)
		csv_field(out, i, ec_columns[v->cols[i]].key);
	if (v->header) {
		csv_buckets(out, v, NULL);
		fputc('\n', out);
	}
	for (r = 0; r < n; r++) {
		if (v->vm) {
			snprintf(pid, sizeof(pid), "%ld", v->vm->pid);
			csv_field(out, 0, v->vm->name);
			csv_field(out, 1, pid);
		}
		for (i = 0; i < v->nr_cols; i++) {
			fill(v, &rows[r], i, true, &c);
			csv_field(out, first + i,
				  c.kind == EC_VAL_NULL ? "" : c.text);
		}
		csv_buckets(out, v, &rows[r]);
		fputc('\n', out);
	}
}

/* ---- Prometheus text exposition (--host --prometheus) ------------------- */

static void prom_label(FILE *out, const char *key, const char *value,
		       bool lower)
{
	fprintf(out, "%s=\"", key);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			fprintf(out, "\\%c", *value);
		else if (*value == '\n')
			fputs("\\n", out);
		else
			fputc(lower ? tolower((unsigned char)*value) : *value,
			      out);
	}
	fputc('"', out);
}

/* The VM's and reason's labels; @le, if not NULL, a bucket's too. */
static void prom_labels(FILE *out, const struct ec_view *v,
			const struct ec_row *row, const char *le)
{
	char pid[24];

	snprintf(pid, sizeof(pid), "%ld", v->vm->pid);
	fputc('{', out);
	prom_label(out, "vm", v->vm->name, false);
	fputc(',', out);
	prom_label(out, "pid", pid, false);
	fputc(',', out);
	prom_label(out, "isa", v->snap->host.table->isa_name, true);
	fputc(',', out);
	prom_label(out, "reason", row->name ? row->name : "?", false);
	if (le) {
		fputc(',', out);
		prom_label(out, "le", le, false);
	}
	fputc('}', out);
}

/* One metric family: its HELP and TYPE, then a sample per VM and reason. */
static void prom_family(FILE *out, const struct ec_view *v, size_t n,
			bool seconds)
{
	size_t i, r;

	if (seconds)
		fputs("# HELP exitcount_exit_seconds_total Host time spent "
		      "handling the VM's exits of the reason, from the exit to "
		      "the next entry.\n"
		      "# TYPE exitcount_exit_seconds_total counter\n", out);
	else
		fputs("# HELP exitcount_exits_total VM exits of the reason "
		      "since the module was loaded or reset.\n"
		      "# TYPE exitcount_exits_total counter\n", out);
	for (i = 0; i < n; i++) {
		for (r = 0; r < v[i].snap->nr_rows; r++) {
			const struct ec_row *row = &v[i].snap->rows[r];

			if (!row->handled || (seconds && !row->time_known))
				continue;
			fputs(seconds ? "exitcount_exit_seconds_total" :
			      "exitcount_exits_total", out);
			prom_labels(out, &v[i], row, NULL);
			if (seconds)
				fprintf(out, " %.9f\n",
					(double)row->time_ns / 1e9);
			else
				fprintf(out, " %" PRIu64 "\n", row->count);
		}
	}
}

/*
 * One VM's and reason's histogram: a cumulative bucket per log2 edge, in
 * seconds (every series the same edges, so that histogram_quantile() can
 * sum them over VMs), +Inf, then the sum and count of the exits timed.
 */
static void prom_hist_series(FILE *out, const struct ec_view *v,
			     const struct ec_row *row)
{
	const struct ec_host *h = &v->snap->host;
	uint64_t below = 0;
	unsigned int b;
	char le[32];

	for (b = 0; b < h->hist_buckets; b++) {
		below += row->hist[b];
		if (b + 1 < h->hist_buckets)
			snprintf(le, sizeof(le), "%.6g",
				 (double)ec_hist_edge(h, b + 1) /
				 (1e3 * h->tsc_khz));
		else
			snprintf(le, sizeof(le), "+Inf");
		fputs("exitcount_exit_duration_seconds_bucket", out);
		prom_labels(out, v, row, le);
		fprintf(out, " %" PRIu64 "\n", below);
	}
	fputs("exitcount_exit_duration_seconds_sum", out);
	prom_labels(out, v, row, NULL);
	fprintf(out, " %.9f\n", (double)row->time_ns / 1e9);
	fputs("exitcount_exit_duration_seconds_count", out);
	prom_labels(out, v, row, NULL);
	fprintf(out, " %" PRIu64 "\n", below);
}

/* --hist: the histograms, if the host view has them and times are known. */
static void prom_hist(FILE *out, const struct ec_view *v, size_t n)
{
	size_t i, r;

	if (!n || !v[0].snap->hist || !v[0].snap->host.tsc_khz)
		return;
	fputs("# HELP exitcount_exit_duration_seconds Host time of each of the "
	      "VM's exits of the reason, from the exit to the next entry, by "
	      "log2 bucket.\n"
	      "# TYPE exitcount_exit_duration_seconds histogram\n", out);
	for (i = 0; i < n; i++)
		for (r = 0; r < v[i].snap->nr_rows; r++)
			if (v[i].snap->rows[r].handled &&
			    v[i].snap->rows[r].time_known)
				prom_hist_series(out, &v[i],
						 &v[i].snap->rows[r]);
}

/* @v's title, after @title's words, and its table or charts. */
static void host_table(FILE *out, const struct ec_view *v, const char *title)
{
	const struct ec_row *t = &v->snap->total;

	fputs(title, out);
	if (v->mode == EC_MODE_WATCH)
		fprintf(out, "%.0f exits/s\n", t->rate);
	else
		fprintf(out, "%" PRIu64 " exits\n", t->count);
	if (v->charts)
		ec_print_hist(out, v->snap);
	else
		print_table(out, v);
}

static void print_host_table(FILE *out, const struct ec_view *v, size_t n,
			     const struct ec_view *all)
{
	char title[128];
	size_t i;

	if (all && !all->snap->total.count)
		all = NULL;	/* no exit yet: nothing to add */
	if (!n)
		fputs(all ? "no VM now running has exited\n" :
		      "no VM has exited since the module was loaded\n", out);
	for (i = 0; i < n; i++) {
		snprintf(title, sizeof(title), "%sVM %s, pid %ld: ",
			 i ? "\n" : "", v[i].vm->name, v[i].vm->pid);
		host_table(out, &v[i], title);
	}
	if (all)
		host_table(out, all, "\nAll VMs since the module was loaded "
			   "(those gone too): ");
}

void ec_print_host(FILE *out, const struct ec_view *head,
		   const struct ec_view *v, size_t n,
		   const struct ec_view *all)
{
	size_t i;

	switch (head->format) {
	case EC_FMT_JSON:
		print_host_json(out, head, v, n, all);
		break;
	case EC_FMT_PROMETHEUS:
		prom_family(out, v, n, false);
		prom_family(out, v, n, true);
		prom_hist(out, v, n);
		break;
	case EC_FMT_CSV:
		if (!n && head->header) {
			struct ec_vm_label none = { 0, 0, "" };
			struct ec_view hdr = *head;

			hdr.vm = &none;	/* the header alone: no rows */
			hdr.mode = EC_MODE_REASONS;
			print_csv(out, &hdr);
		}
		for (i = 0; i < n; i++) {
			struct ec_view one = v[i];

			one.header = head->header && i == 0;
			print_csv(out, &one);
		}
		break;
	case EC_FMT_TABLE:
		print_host_table(out, v, n, all);
		break;
	}
}

void ec_print(FILE *out, const struct ec_view *v)
{
	if (v->format == EC_FMT_JSON)
		print_json(out, v);
	else if (v->format == EC_FMT_CSV)
		print_csv(out, v);
	else if (v->charts)
		ec_print_hist(out, v->snap);
	else
		print_table(out, v);
}

/* ---- --hist: bar charts ------------------------------------------------ */

#define BAR_WIDTH 40

/* Bucket edge @b in time (or cycles, without a TSC frequency). */
static void edge_cell(const struct ec_host *h, unsigned int b,
		      struct ec_cell *c)
{
	uint64_t cycles = ec_hist_edge(h, b);

	if (h->tsc_khz)
		ec_time_cell((double)cycles * 1e6 / h->tsc_khz, false, c);
	else
		snprintf(c->text, sizeof(c->text), "%" PRIu64, cycles);
}

/*
 * Bars in proportion to the counts; when the largest count is more than
 * BAR_WIDTH times the smallest, to their logarithms, so that a bucket of
 * a few exits beside one of millions still shows.
 */
static size_t bar_len(uint64_t n, uint64_t max, bool log_scale)
{
	if (!n)
		return 0;
	if (log_scale)
		return (size_t)ceil(BAR_WIDTH * log2(1.0 + (double)n) /
				    log2(1.0 + (double)max));
	return (size_t)ceil((double)BAR_WIDTH * (double)n / (double)max);
}

static void hist_title(FILE *out, const struct ec_snapshot *snap,
		       const struct ec_row *row, bool log_scale)
{
	static const enum ec_col_id est[] = {
		EC_COL_P50, EC_COL_P90, EC_COL_P99, EC_COL_MAX,
	};
	struct ec_cell c;
	size_t i;

	ec_columns[EC_COL_NR].print(row, &snap->host, false, &c);
	fprintf(out, "%s %s: %" PRIu64 " exits, %" PRIu64 " timed", c.text,
		row->name ? row->name : "?", row->count,
		ec_hist_exits(&snap->host, row->dist));
	for (i = 0; i < sizeof(est) / sizeof(est[0]); i++) {
		ec_columns[est[i]].print(row, &snap->host, false, &c);
		fprintf(out, "%s%s %s", i ? ", " : "; estimated from log2 "
			"buckets: ", ec_columns[est[i]].header + 1, c.text);
	}
	fprintf(out, "%s\n", log_scale ? " (bars: log scale)" : "");
}

static void hist_chart(FILE *out, const struct ec_snapshot *snap,
		       const struct ec_row *row)
{
	const struct ec_host *h = &snap->host;
	unsigned int b, first = h->hist_buckets, last = 0;
	uint64_t min = UINT64_MAX, max = 0;
	struct ec_cell lo, hi;
	bool log_scale;
	size_t i;

	for (b = 0; b < h->hist_buckets; b++) {
		if (!row->dist[b])
			continue;
		first = first < b ? first : b;
		last = b;
		min = min < row->dist[b] ? min : row->dist[b];
		max = max > row->dist[b] ? max : row->dist[b];
	}
	log_scale = max / min > BAR_WIDTH;
	hist_title(out, snap, row, log_scale && first <= last);
	if (first > last)
		return;
	fprintf(out, "%10s %10s %12s\n", h->tsc_khz ? "FROM" : "FROM(cyc)",
		h->tsc_khz ? "TO" : "TO(cyc)", "EXITS");
	for (b = first; b <= last; b++) {
		edge_cell(h, b, &lo);
		if (b + 1 < h->hist_buckets)
			edge_cell(h, b + 1, &hi);
		else
			snprintf(hi.text, sizeof(hi.text), "-");
		fprintf(out, "%10s %10s %12" PRIu64 "%s", lo.text, hi.text,
			row->dist[b], row->dist[b] ? " " : "");
		for (i = bar_len(row->dist[b], max, log_scale); i; i--)
			fputc('#', out);
		fputc('\n', out);
	}
}

void ec_print_hist(FILE *out, const struct ec_snapshot *snap)
{
	size_t r;

	for (r = 0; r < snap->nr_rows; r++) {
		if (r)
			fputc('\n', out);
		hist_chart(out, snap, &snap->rows[r]);
	}
}

void ec_print_raw(FILE *out, const struct ec_cpuid *c, size_t n)
{
	size_t i;

	fputs("CPU:\n", out);
	for (i = 0; i < n; i++)
		fprintf(out, EC_RAW_PRINT_FMT, c[i].leaf, c[i].subleaf,
			c[i].regs[EC_EAX], c[i].regs[EC_EBX],
			c[i].regs[EC_ECX], c[i].regs[EC_EDX]);
}

void ec_print_columns_help(FILE *out)
{
	int i;

	for (i = 0; i < EC_NR_COLS; i++)
		fprintf(out, " %-8s %-11s %s\n", ec_columns[i].name,
			ec_columns[i].key, ec_columns[i].help);
}
