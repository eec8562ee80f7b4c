// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's guest: N vCPUs, each running a real-mode loop of M
 * exits: CPUID of a stock leaf (handled in the kernel), an OUT to a port
 * (handled here, in user space), or CPUID of exitcount's 0x4FFFFFFE (a
 * query; KVM's own answer when exitcount is not loaded). Prints the cost per exit of each
 * vCPU: its thread's CPU time over M. CPU time, not wall time, so that
 * vCPUs sharing an emulated CPU (QEMU's -icount runs them round robin)
 * are each charged only for their own work.
 *
 *   exit_loop cpuid|io|query VCPUS EXITS
 *   -> "cpuid vcpus=2 exits=100000 ns_per_exit=1234.5 1240.1"
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE	0x10000
#define CODE_GPA	0x1000
#define MAX_VCPUS	8

#define die(...) do {							\
	fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);			\
	fprintf(stderr, __VA_ARGS__);					\
	fprintf(stderr, ": %s\n", strerror(errno));			\
	exit(2);							\
} while (0)

/*
 * mov esi, EXITS; 1: <exit>; dec esi; jnz 1b; hlt
 * <exit> is "xor eax, eax; cpuid" or "out 0x80, al" (padded with nops to
 * the same length, so both loops have one shape).
 */
static const uint8_t loop_cpuid[] = {
	0x66, 0xbe, 0, 0, 0, 0,		/* mov esi, imm32 */
	0x66, 0x31, 0xc0,		/* xor eax, eax */
	0x0f, 0xa2,			/* cpuid */
	0x66, 0x4e,			/* dec esi */
	0x75, 0xf7,			/* jnz -9 */
	0xf4,				/* hlt */
};

static const uint8_t loop_io[] = {
	0x66, 0xbe, 0, 0, 0, 0,		/* mov esi, imm32 */
	0x90, 0x90, 0x90,		/* nop x3 */
	0xe6, 0x80,			/* out 0x80, al */
	0x66, 0x4e,			/* dec esi */
	0x75, 0xf7,			/* jnz -9 */
	0xf4,				/* hlt */
};

static const uint8_t loop_query[] = {
	0x66, 0xbe, 0, 0, 0, 0,		/* mov esi, imm32 */
	0x66, 0xb8, 0xfe, 0xff, 0xff, 0x4f, /* mov eax, 0x4ffffffe */
	0x66, 0x31, 0xc9,		/* xor ecx, ecx: reason 0 */
	0x0f, 0xa2,			/* cpuid */
	0x66, 0x4e,			/* dec esi */
	0x75, 0xf1,			/* jnz -15 */
	0xf4,				/* hlt */
};

static const struct loop {
	const char *name;
	const uint8_t *code;
	size_t len;
} loops[] = {
	{ "cpuid", loop_cpuid, sizeof(loop_cpuid) },
	{ "io", loop_io, sizeof(loop_io) },
	{ "query", loop_query, sizeof(loop_query) },
};

struct vcpu {
	int fd;
	struct kvm_run *run;
	uint32_t exits;
	double ns_per_exit;
	pthread_t thread;
};

static pthread_barrier_t start;

static double thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	double t0;

	pthread_barrier_wait(&start);
	t0 = thread_ns();
	for (;;) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0)
			die("KVM_RUN");
		if (v->run->exit_reason == KVM_EXIT_HLT)
			break;
		if (v->run->exit_reason != KVM_EXIT_IO)
			die("unexpected exit %u", v->run->exit_reason);
	}
	v->ns_per_exit = (thread_ns() - t0) / v->exits;
	return NULL;
}

static void vcpu_init(int kvm, int vm, int id, struct vcpu *v)
{
	struct kvm_regs regs = { .rip = CODE_GPA, .rflags = 2 };
	struct kvm_sregs sregs;
	int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	v->fd = ioctl(vm, KVM_CREATE_VCPU, id);
	if (v->fd < 0 || size < 0)
		die("KVM_CREATE_VCPU");
	v->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		die("mmap kvm_run");
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_*REGS");
}

static int vm_create(int kvm, const uint8_t *code, size_t len, uint32_t n)
{
	struct kvm_userspace_memory_region mem = { .memory_size = MEM_SIZE };
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	uint8_t *ram;

	if (vm < 0)
		die("KVM_CREATE_VM");
	ram = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap guest memory");
	memcpy(ram + CODE_GPA, code, len);
	memcpy(ram + CODE_GPA + 2, &n, sizeof(n));
	mem.userspace_addr = (uintptr_t)ram;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mem) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	return vm;
}

int main(int argc, char **argv)
{
	const struct loop *l = NULL;
	struct vcpu v[MAX_VCPUS];
	int kvm, vm, i, n;
	uint32_t exits;

	for (i = 0; argc == 4 && i < (int)(sizeof(loops) / sizeof(loops[0])); i++)
		if (strcmp(argv[1], loops[i].name) == 0)
			l = &loops[i];
	if (!l) {
		fprintf(stderr, "usage: %s cpuid|io|query VCPUS EXITS\n", argv[0]);
		return 2;
	}
	n = atoi(argv[2]);
	exits = (uint32_t)strtoul(argv[3], NULL, 0);
	if (n < 1 || n > MAX_VCPUS || !exits)
		die("bad VCPUS or EXITS");
	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		die("/dev/kvm");
	vm = vm_create(kvm, l->code, l->len, exits);
	pthread_barrier_init(&start, NULL, n);
	for (i = 0; i < n; i++) {
		vcpu_init(kvm, vm, i, &v[i]);
		v[i].exits = exits;
		pthread_create(&v[i].thread, NULL, vcpu_thread, &v[i]);
	}
	printf("%s vcpus=%d exits=%u ns_per_exit=", argv[1], n, exits);
	for (i = 0; i < n; i++) {
		pthread_join(v[i].thread, NULL);
		printf("%s%.1f", i ? " " : "", v[i].ns_per_exit);
	}
	printf("\n");
	return 0;
}
