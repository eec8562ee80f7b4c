// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * --host: reading and parsing the host view, and naming the VMs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <exitcount/hostview.h>

#include "hostview.h"
#include "xalloc.h"

struct ec_hv_src {
	const char *path;	/* the device; NULL for a replay */
	char *text;		/* the device's last snapshot, or the file */
	size_t *starts;		/* replay: offsets of its snapshots */
	size_t nr_starts;
	size_t next;		/* replay: the snapshot to give next */
	size_t len;
};

/* All of @f into @src->text; false on a read error. */
static bool slurp(FILE *f, struct ec_hv_src *src)
{
	size_t cap = 0, n;

	src->len = 0;
	do {
		src->text = ec_xgrow(src->text, src->len + 1, &cap, 1);
		n = fread(src->text + src->len, 1, cap - src->len - 1, f);
		src->len += n;
	} while (n);
	src->text[src->len] = '\0';
	return !ferror(f);
}

/* Where each snapshot of a saved file begins: at its first line. */
static void find_starts(struct ec_hv_src *src)
{
	size_t magic = strlen(EC_HOSTVIEW_MAGIC), cap = 0, i;

	for (i = 0; i < src->len; i = strcspn(src->text + i, "\n") + i + 1) {
		if (strncmp(src->text + i, EC_HOSTVIEW_MAGIC, magic) != 0)
			continue;
		src->starts = ec_xgrow(src->starts, src->nr_starts, &cap,
				       sizeof(*src->starts));
		src->starts[src->nr_starts++] = i;
	}
}

static bool read_file(struct ec_hv_src *src, const char *path, char *err,
		      size_t len, bool *absent)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f) {
		*absent = errno == ENOENT && !src->text && src->path;
		if (*absent)
			snprintf(err, len, "not available: no %s (the "
				 "exitcount module is not loaded)", path);
		else
			snprintf(err, len, "%s: %s%s", path, strerror(errno),
				 errno == EACCES ? " (the host view is root's)" :
				 "");
		return false;
	}
	ok = slurp(f, src);
	if (!ok)
		snprintf(err, len, "%s: read error", path);
	fclose(f);
	return ok;
}

struct ec_hv_src *ec_hv_open(const char *replay, char *err, size_t len,
			     bool *absent)
{
	struct ec_hv_src *src = ec_xreallocarray(NULL, 1, sizeof(*src));

	memset(src, 0, sizeof(*src));
	*absent = false;
	if (!replay) {
		src->path = EC_HOSTVIEW_DEV;
		if (read_file(src, src->path, err, len, absent))
			return src;
	} else if (read_file(src, replay, err, len, absent)) {
		find_starts(src);
		return src;
	}
	ec_hv_close(src);
	return NULL;
}

void ec_hv_close(struct ec_hv_src *src)
{
	if (!src)
		return;
	free(src->text);
	free(src->starts);
	free(src);
}

const char *ec_hv_next(struct ec_hv_src *src, char *err, size_t len)
{
	size_t i;
	bool absent;

	if (src->path) {
		/* opened at ec_hv_open() already: the first read is done */
		if (src->next++ && !read_file(src, src->path, err, len, &absent))
			return NULL;
		return src->text;
	}
	if (!src->nr_starts)
		return src->text;	/* not a host view: the parser says so */
	i = src->next < src->nr_starts ? src->next++ : src->nr_starts - 1;
	if (i + 1 < src->nr_starts)
		src->text[src->starts[i + 1] - 1] = '\0';
	return src->text + src->starts[i];
}

/* ---- parsing ------------------------------------------------------------ */

static const struct ec_isa_table *table_named(const char *name)
{
	static const uint32_t isas[] = { EC_ISA_VMX, EC_ISA_SVM };
	size_t i;

	for (i = 0; i < sizeof(isas) / sizeof(isas[0]); i++) {
		const struct ec_isa_table *t = ec_table_for_isa(isas[i]);

		if (t && strcmp(t->isa_name, name) == 0)
			return t;
	}
	return NULL;
}

/* sscanf matched through %n = @end, and the line ends or goes on. */
static bool whole(const char *line, int end)
{
	return end > 0 && (line[end] == '\0' || line[end] == ' ');
}

/* @vm with no exits yet, named by @pid. */
static void vm_init(struct ec_hv_vm *vm, size_t slots, unsigned long id,
		    long pid)
{
	memset(vm, 0, sizeof(*vm));
	vm->id = id;
	vm->pid = pid;
	snprintf(vm->name, sizeof(vm->name), "%ld", pid);
	vm->count = ec_xreallocarray(NULL, slots, sizeof(*vm->count));
	vm->slot_cycles = ec_xreallocarray(NULL, slots,
					   sizeof(*vm->slot_cycles));
	memset(vm->count, 0, slots * sizeof(*vm->count));
	memset(vm->slot_cycles, 0, slots * sizeof(*vm->slot_cycles));
}

static struct ec_hv_vm *vm_of(struct ec_hostview *hv, size_t *cap,
			      unsigned long id, long pid)
{
	if (hv->nr_vms && hv->vms[hv->nr_vms - 1].id == id)
		return &hv->vms[hv->nr_vms - 1];
	hv->vms = ec_xgrow(hv->vms, hv->nr_vms, cap, sizeof(*hv->vms));
	vm_init(&hv->vms[hv->nr_vms], hv->host.table->nr_slots, id, pid);
	return &hv->vms[hv->nr_vms++];
}

/* The "all" lines' counts, made at the first. */
static struct ec_hv_vm *all_of(struct ec_hostview *hv)
{
	if (!hv->all.count) {
		vm_init(&hv->all, hv->host.table->nr_slots, 0, 0);
		snprintf(hv->all.name, sizeof(hv->all.name), "all");
	}
	return &hv->all;
}

/* "exits N cycles N", "reason NR NAME exits ...", "reason - other ..." */
static void vm_line(const struct ec_isa_table *t, struct ec_hv_vm *vm,
		    const char *rest)
{
	unsigned long long ex, cy;
	unsigned int nr, slot;
	char name[64];
	int end = 0;

	if (sscanf(rest, "exits %llu cycles %llu%n", &ex, &cy, &end) == 2 &&
	    whole(rest, end)) {
		vm->exits = ex;
		vm->cycles = cy;
		return;
	}
	if (sscanf(rest, "reason - other exits %llu cycles %llu%n", &ex, &cy,
		   &end) == 2 && whole(rest, end)) {
		slot = ec_other_slot(t);
	} else if (sscanf(rest, "reason %u %63s exits %llu cycles %llu%n", &nr,
			  name, &ex, &cy, &end) == 4 && whole(rest, end)) {
		slot = ec_slot(t, nr);
	} else {
		return;
	}
	vm->count[slot] = ex;
	vm->slot_cycles[slot] = cy;
}

/* The VM of the count lines that @id and @pid name, or NULL. */
static struct ec_hv_vm *vm_find(struct ec_hostview *hv, unsigned long id,
				long pid)
{
	size_t i;

	for (i = 0; i < hv->nr_vms; i++)
		if (hv->vms[i].id == id && hv->vms[i].pid == pid)
			return &hv->vms[i];
	return NULL;
}

/*
 * After "hist": "buckets N first S", and each VM's "vm ID pid PID reason
 * NR NAME exits N buckets B0 ...", or the host's, "all reason ...". A
 * layout of more buckets than this tool knows leaves the view without.
 */
static void hist_line(struct ec_hostview *hv, const char *line)
{
	const struct ec_isa_table *t = hv->host.table;
	unsigned int n, shift, nr, slot, b;
	unsigned long long ex, x;
	struct ec_hv_vm *vm = NULL;
	unsigned long id;
	char name[64];
	int end = 0, pos = 0;
	long pid;

	if (sscanf(line, "buckets %u first %u%n", &n, &shift, &end) == 2 &&
	    whole(line, end)) {
		if (n >= 2 && n <= EC_HIST_BUCKETS && shift < 64) {
			hv->host.hist_buckets = n;
			hv->host.hist_first_shift = shift;
		}
		return;
	}
	if (!hv->host.hist_buckets)
		return;
	if (strncmp(line, "all ", 4) == 0) {
		vm = hv->all.count ? &hv->all : NULL;
		end = 4;
	} else if (sscanf(line, "vm %lu pid %ld %n", &id, &pid, &end) == 2) {
		vm = vm_find(hv, id, pid);
	}
	if (!vm)
		return;
	line += end;
	if (sscanf(line, "reason - other exits %llu buckets%n", &ex, &pos) == 1)
		slot = ec_other_slot(t);
	else if (sscanf(line, "reason %u %63s exits %llu buckets%n", &nr,
			name, &ex, &pos) == 3)
		slot = ec_slot(t, nr);
	else
		return;
	if (!vm->hist) {
		vm->hist = ec_xreallocarray(NULL, t->nr_slots,
					    sizeof(*vm->hist));
		memset(vm->hist, 0, t->nr_slots * sizeof(*vm->hist));
	}
	for (b = 0; b < hv->host.hist_buckets; b++) {
		if (sscanf(line + pos, " %llu%n", &x, &end) != 1)
			break;
		vm->hist[slot][b] = x;
		pos += end;
	}
}

static void handled_line(struct ec_hostview *hv, const char *line)
{
	unsigned int nr, flag;
	char name[64];
	int end = 0;

	if (sscanf(line, "handled %u %63s %u%n", &nr, name, &flag, &end) == 3 &&
	    whole(line, end))
		hv->handled[ec_slot(hv->host.table, nr)] = flag == 1;
}

static void set_table(struct ec_hostview *hv, const struct ec_isa_table *t)
{
	hv->host.table = t;
	hv->host.max_nr = t->max_nr;
	hv->handled = ec_xreallocarray(NULL, t->nr_slots,
				       sizeof(*hv->handled));
	memset(hv->handled, 0, t->nr_slots * sizeof(*hv->handled));
}

/* One line after the first; false when it needs the isa line first. */
static bool take(struct ec_hostview *hv, size_t *cap, const char *line)
{
	char word[16];
	unsigned long id;
	long pid;
	int end = 0;

	if (sscanf(line, "isa %15s%n", word, &end) == 1 && whole(line, end) &&
	    !hv->host.table && table_named(word)) {
		set_table(hv, table_named(word));
	} else if (sscanf(line, "scope %15s%n", word, &end) == 1 &&
		   whole(line, end)) {
		hv->host.scope = strcmp(word, "host") == 0 ? EC_SCOPE_HOST :
							    EC_SCOPE_VM;
	} else if (sscanf(line, "tsc_khz %" SCNu32 "%n", &hv->host.tsc_khz,
			  &end) == 1 && whole(line, end)) {
		return true;
	} else if (sscanf(line, "vm %lu pid %ld %n", &id, &pid, &end) == 2) {
		if (!hv->host.table)
			return false;
		vm_line(hv->host.table, vm_of(hv, cap, id, pid), line + end);
	} else if (strncmp(line, "all ", 4) == 0) {
		if (!hv->host.table)
			return false;
		vm_line(hv->host.table, all_of(hv), line + 4);
	} else if (strncmp(line, "handled ", 8) == 0) {
		if (!hv->host.table)
			return false;
		handled_line(hv, line);
	} else if (strncmp(line, "hist ", 5) == 0) {
		if (!hv->host.table)
			return false;
		hist_line(hv, line + 5);
	}
	return true;
}

static bool first_line(const char *line, char *err, size_t len,
		       bool *absent)
{
	unsigned int version;
	int end = 0;

	if (sscanf(line, EC_HOSTVIEW_MAGIC " %u%n", &version, &end) != 1 ||
	    !whole(line, end)) {
		snprintf(err, len, "not an exitcount host view (first line "
			 "'%.40s')", line);
		return false;
	}
	if (version == EC_HOSTVIEW_VERSION)
		return true;
	*absent = true;
	snprintf(err, len, "not available: the module's host view is "
		 "version %u, this tool reads version %d", version,
		 EC_HOSTVIEW_VERSION);
	return false;
}

bool ec_hv_parse(const char *text, struct ec_hostview *hv, char *err,
		 size_t len, bool *absent)
{
	size_t n = strlen(text) + 1;
	char *copy = ec_xreallocarray(NULL, n, 1);
	char *save = NULL, *line;
	size_t cap = 0;
	bool ok;

	memset(hv, 0, sizeof(*hv));
	*absent = false;
	memcpy(copy, text, n);
	line = strtok_r(copy, "\n", &save);
	ok = first_line(line ? line : "", err, len, absent);
	while (ok && (line = strtok_r(NULL, "\n", &save))) {
		if (!take(hv, &cap, line)) {
			snprintf(err, len, "the host view has '%.40s' before "
				 "its isa line", line);
			ok = false;
		}
	}
	if (ok && !hv->host.table) {
		snprintf(err, len, "the host view names no ISA this tool "
			 "knows (VMX or SVM)");
		ok = false;
	}
	free(copy);
	return ok;
}

static void vm_free(struct ec_hv_vm *vm)
{
	free(vm->count);
	free(vm->slot_cycles);
	free(vm->hist);
}

void ec_hv_free(struct ec_hostview *hv)
{
	size_t i;

	for (i = 0; i < hv->nr_vms; i++)
		vm_free(&hv->vms[i]);
	vm_free(&hv->all);
	free(hv->vms);
	free(hv->handled);
	memset(hv, 0, sizeof(*hv));
}

/* ---- names -------------------------------------------------------------- */

/*
 * The guest name in QEMU's -name value: "guest=NAME,debug-threads=on"
 * (libvirt) or "NAME,process=..." (the name is the implied first key).
 * A comma doubled is a comma of the value.
 */
static bool name_of_value(const char *v, char *name, size_t size)
{
	bool first = true;

	while (*v) {
		const char *eq = NULL, *val, *p;
		size_t n = 0;

		for (p = v; *p && (*p != ',' || p[1] == ','); p += *p == ',' ? 2 : 1)
			if (*p == '=' && !eq)
				eq = p;
		if (!eq && first) {
			val = v;	/* the implied first key: guest */
		} else if (eq && eq - v == 5 && strncmp(v, "guest", 5) == 0) {
			val = eq + 1;
		} else {
			v = *p ? p + 1 : p;
			first = false;
			continue;
		}
		for (; val < p && n + 1 < size; val += *val == ',' ? 2 : 1)
			name[n++] = *val;
		name[n] = '\0';
		return n > 0;
	}
	return false;
}

bool ec_vm_name_of_cmdline(const char *argv, size_t len, char *name,
			   size_t size)
{
	const char *a = argv, *end = argv + len;

	while (a < end) {
		const char *next = a + strnlen(a, (size_t)(end - a)) + 1;

		if ((strcmp(a, "-name") == 0 || strcmp(a, "--name") == 0) &&
		    next < end)
			return name_of_value(next, name, size);
		a = next;
	}
	return false;
}

void ec_hv_name_vms(struct ec_hostview *hv, const char *proc)
{
	static char buf[65536];	/* libvirt's command lines run to pages */
	char path[256], name[EC_VM_NAME_MAX];
	size_t i, n;

	for (i = 0; i < hv->nr_vms; i++) {
		struct ec_hv_vm *vm = &hv->vms[i];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%ld/cmdline", proc, vm->pid);
		f = fopen(path, "r");
		if (!f)
			continue;	/* gone: the pid names it */
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		if (ec_vm_name_of_cmdline(buf, n, name, sizeof(name)))
			snprintf(vm->name, sizeof(vm->name), "%s", name);
	}
}
