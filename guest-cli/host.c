// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * --host: every VM's table from the module's host view, with the guest
 * table's columns, sorting and formats.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostview.h"
#include "modes.h"
#include "xalloc.h"

#define CLEAR_SCREEN "\033[H\033[2J"
#define ERR_MAX 160

/* A VM shown: who it is, and its rows. */
struct host_vm {
	struct ec_vm_label label;
	struct ec_snapshot snap;
};

/* One read of the host view, and the VMs it shows. */
struct host_snap {
	struct ec_hostview hv;
	struct host_vm *vms;
	size_t n;
	/* all VMs' (hv.all), shown after them: no --vm, and in the view */
	struct host_vm all;
	bool has_all;
};

struct host_run {
	const struct ec_opts *o;
	struct ec_hv_src *src;
	uint32_t *nrs;		/* reasons named, NULL for the table */
	size_t nr_nrs;
	bool parsed;		/* nrs taken from the operands */
	bool hist;		/* --hist, or a column of the histograms */
};

static void add_row(const struct ec_hostview *hv, const struct ec_hv_vm *vm,
		    unsigned int slot, struct ec_snapshot *snap, size_t *cap)
{
	const struct ec_isa_table *t = hv->host.table;
	struct ec_row *row;

	snap->rows = ec_xgrow(snap->rows, snap->nr_rows, cap,
			      sizeof(*snap->rows));
	row = &snap->rows[snap->nr_rows++];
	memset(row, 0, sizeof(*row));
	row->nr = ec_slot_nr(t, slot);
	row->name = t->names[slot];
	row->defined = t->names[slot] != NULL;
	row->handled = row->defined && (hv->handled[slot] || vm->count[slot]);
	row->count = vm->count[slot];
	row->cycles = vm->slot_cycles[slot];
	if (vm->hist) {
		memcpy(row->hist, vm->hist[slot], sizeof(row->hist));
		memcpy(row->dist, row->hist, sizeof(row->dist));
	}
}

/* As the guest's table: reasons named, or with --all every defined one, or those with exits. */
static void vm_snapshot(const struct host_run *r, const struct ec_hostview *hv,
			const struct ec_hv_vm *vm, struct ec_snapshot *snap)
{
	const struct ec_isa_table *t = hv->host.table;
	unsigned int slot;
	size_t cap = 0, i;

	memset(snap, 0, sizeof(*snap));
	snap->host = hv->host;
	snap->hist = r->hist;
	for (i = 0; r->nrs && i < r->nr_nrs; i++)
		add_row(hv, vm, ec_slot(t, r->nrs[i]), snap, &cap);
	for (slot = 0; !r->nrs && slot < ec_other_slot(t); slot++)
		if (t->names[slot] && (r->o->all || vm->count[slot]))
			add_row(hv, vm, slot, snap, &cap);
	snap->total.name = "total";
	snap->total.defined = true;
	snap->total.handled = true;
	snap->total.count = vm->exits;
	snap->total.cycles = vm->cycles;
	ec_snapshot_derive(snap);
}

static bool wanted(const struct ec_opts *o, const struct ec_hv_vm *vm)
{
	char pid[24];

	snprintf(pid, sizeof(pid), "%ld", vm->pid);
	return !o->vm || strcmp(o->vm, vm->name) == 0 || strcmp(o->vm, pid) == 0;
}

static void host_snap_free(struct host_snap *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		ec_snapshot_free(&s->vms[i].snap);
	if (s->has_all)
		ec_snapshot_free(&s->all.snap);
	free(s->vms);
	ec_hv_free(&s->hv);
	memset(s, 0, sizeof(*s));
}

/* Read, parse and name; the operands at the first read. */
static enum ec_exit host_read(struct host_run *r, struct host_snap *s)
{
	const struct ec_opts *o = r->o;
	char err[ERR_MAX] = "";
	const char *text = ec_hv_next(r->src, err, sizeof(err));
	bool absent = false;
	size_t i, cap = 0;

	memset(s, 0, sizeof(*s));
	if (!text || !ec_hv_parse(text, &s->hv, err, sizeof(err), &absent)) {
		ec_hv_free(&s->hv);
		fprintf(stderr, "exitcount: %s\n", err);
		return absent ? EC_EXIT_ABSENT : EC_EXIT_FAILURE;
	}
	if (r->hist && !s->hv.host.hist_buckets) {
		ec_hv_free(&s->hv);
		fputs("exitcount: the host view has no exit time histograms "
		      "(or none this version knows)\n", stderr);
		return EC_EXIT_FAILURE;
	}
	if (o->raw)
		fputs(text, stdout);
	if (!r->parsed && o->nr_reasons) {
		r->nrs = ec_xreallocarray(NULL, o->nr_reasons, sizeof(*r->nrs));
		if (!ec_parse_operands(o, s->hv.host.table, r->nrs, &r->nr_nrs))
			return EC_EXIT_USAGE;
	}
	r->parsed = true;
	ec_hv_name_vms(&s->hv, o->proc ? o->proc : "/proc");
	for (i = 0; i < s->hv.nr_vms; i++) {
		const struct ec_hv_vm *vm = &s->hv.vms[i];
		struct host_vm *h;

		if (!wanted(o, vm))
			continue;
		s->vms = ec_xgrow(s->vms, s->n, &cap, sizeof(*s->vms));
		h = &s->vms[s->n++];
		h->label = (struct ec_vm_label){ vm->id, vm->pid, vm->name };
		vm_snapshot(r, &s->hv, vm, &h->snap);
	}
	s->has_all = !o->vm && s->hv.all.count;
	if (s->has_all) {
		s->all.label = (struct ec_vm_label){ 0, 0, s->hv.all.name };
		vm_snapshot(r, &s->hv, &s->hv.all, &s->all.snap);
	}
	return EC_EXIT_OK;
}

/* @h's view, like @hv, its rows sorted as asked. */
static struct ec_view vm_view(const struct host_run *r,
			      const struct ec_view *hv, struct host_vm *h)
{
	struct ec_view v = *hv;

	if (hv->mode == EC_MODE_WATCH && !r->o->all && !r->nrs)
		ec_drop_idle(&h->snap, true);
	ec_sort(&h->snap, hv->mode == EC_MODE_WATCH && !r->o->sort_given ?
		EC_SORT_RATE : r->o->sort);
	v.snap = &h->snap;
	v.vm = &h->label;
	return v;
}

/* Sorted as asked, each VM's view, printed in one go. */
static void host_show(const struct host_run *r, struct host_snap *s,
		      enum ec_mode mode, bool header)
{
	const struct ec_opts *o = r->o;
	enum ec_col_id dfl[EC_NR_COLS];
	struct ec_snapshot head = { .host = s->hv.host, .hist = r->hist };
	struct ec_view hv, *v = ec_xreallocarray(NULL, s->n + 1, sizeof(*v));
	size_t i;

	ec_view_init(&hv, o, &head, mode, header, dfl);
	for (i = 0; i < s->n; i++)
		v[i] = vm_view(r, &hv, &s->vms[i]);
	if (s->has_all)
		v[s->n] = vm_view(r, &hv, &s->all);
	ec_print_host(stdout, &hv, v, s->n, s->has_all ? &v[s->n] : NULL);
	free(v);
}

/* The VM of @prev that @vm is (the same id and pid), or NULL. */
static const struct ec_snapshot *prev_of(const struct host_snap *prev,
					 const struct ec_vm_label *vm)
{
	size_t i;

	for (i = 0; i < prev->n; i++)
		if (prev->vms[i].label.id == vm->id &&
		    prev->vms[i].label.pid == vm->pid)
			return &prev->vms[i].snap;
	return NULL;
}

static void watch_title(const struct ec_opts *o, const struct host_snap *s)
{
	bool tty = isatty(STDOUT_FILENO);

	if (tty)
		fputs(CLEAR_SCREEN, stdout);
	printf("exitcount --host: %s, scope %s, every %gs, %zu VMs%s\n\n",
	       s->hv.host.table->isa_name, ec_scope_name(s->hv.host.scope),
	       o->interval, s->n, tty ? " (Ctrl-C quits)" : "");
}

static enum ec_exit host_watch(struct host_run *r)
{
	const struct ec_opts *o = r->o;
	struct host_snap prev, cur;
	struct ec_snapshot none = { 0 };
	double t0 = ec_now();
	enum ec_exit rc = host_read(r, &prev);
	unsigned long i;
	size_t k;

	ec_catch_signals();
	for (i = 0; rc == EC_EXIT_OK && (!o->iterations || i < o->iterations) &&
	     ec_nap(o->interval); i++) {
		double t1 = ec_now();
		/* a replay has no real time: the nominal interval */
		double dt = o->replay ? o->interval : t1 - t0;

		rc = host_read(r, &cur);
		if (rc != EC_EXIT_OK) {
			host_snap_free(&cur);
			break;
		}
		for (k = 0; k < cur.n; k++) {
			struct host_vm *h = &cur.vms[k];
			const struct ec_snapshot *p = prev_of(&prev, &h->label);

			ec_rates(&h->snap, p ? p : &none, dt);
		}
		if (cur.has_all)
			ec_rates(&cur.all.snap,
				 prev.has_all ? &prev.all.snap : &none, dt);
		/* rates are taken: @prev is done, @cur may be filtered */
		host_snap_free(&prev);
		prev = cur;
		if (o->format == EC_FMT_TABLE && !o->raw)
			watch_title(o, &cur);
		if (!o->raw)
			host_show(r, &prev, EC_MODE_WATCH,
				  i == 0 || o->format != EC_FMT_CSV);
		fflush(stdout);
		t0 = t1;
	}
	host_snap_free(&prev);
	return rc;
}

static enum ec_exit host_once(struct host_run *r)
{
	struct host_snap s;
	enum ec_exit rc = host_read(r, &s);

	if (rc == EC_EXIT_OK && r->o->vm && !s.n) {
		fprintf(stderr, "exitcount: no VM '%s' (by name or pid) in "
			"the host view\n", r->o->vm);
		rc = EC_EXIT_FAILURE;
	}
	if (rc == EC_EXIT_OK && !r->o->raw)
		host_show(r, &s, r->o->mode, true);
	host_snap_free(&s);
	return rc;
}

enum ec_exit ec_run_host(const struct ec_opts *o)
{
	struct host_run r = { o, NULL, NULL, 0, false, ec_wants_hist(o) };
	char err[ERR_MAX];
	bool absent;
	enum ec_exit rc;

	r.src = ec_hv_open(o->replay, err, sizeof(err), &absent);
	if (!r.src) {
		fprintf(stderr, "exitcount: %s\n", err);
		return absent ? EC_EXIT_ABSENT : EC_EXIT_FAILURE;
	}
	rc = o->mode == EC_MODE_WATCH ? host_watch(&r) : host_once(&r);
	free(r.nrs);
	ec_hv_close(r.src);
	return rc;
}
