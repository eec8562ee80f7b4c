/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Detection: is the exitcount protocol there, and what does the host
 * count? When it is absent, one line says why.
 */
#ifndef EXITCOUNT_CLI_DETECT_H
#define EXITCOUNT_CLI_DETECT_H

#include "source.h"

/* What leaf 0x4FFFFFFC subleaf 1 tells about the host. */
struct ec_host {
	const struct ec_isa_table *table;
	uint32_t scope;		/* EC_SCOPE_HOST or EC_SCOPE_VM */
	uint32_t tsc_khz;	/* 0: times unknown */
	uint32_t max_nr;	/* highest reason the host's table defines */
	/* leaf 0x4FFFFFFC subleaf 2, read only for histograms (gather.c) */
	uint32_t hist_buckets;	/* 0: not read, or none on the host */
	uint32_t hist_first_shift; /* bucket 1 starts at 2^this cycles */
};

enum ec_probe {
	EC_PROBE_OK,
	EC_PROBE_ABSENT,	/* no exitcount ABI 1 signature */
	EC_PROBE_BAD,		/* signature, but nonsense host info */
};

/* Probe @src; on failure @msg holds one line (without newline). */
enum ec_probe ec_probe(struct ec_src *src, struct ec_host *host, char *msg,
		       size_t len);

/* "host" or "vm" for a scope value; "unknown" otherwise. */
const char *ec_scope_name(uint32_t scope);

#endif /* EXITCOUNT_CLI_DETECT_H */
