// SPDX-License-Identifier: GPL-2.0
/*
 * e9cat: copy standard input to I/O port 0xE9, the emulators' lossless
 * debug console (QEMU's isa-debugcon, Bochs's port_e9_hack). Runs as root
 * in the emulated host: sh /test.sh 2>&1 | e9cat
 */
#include <stdio.h>
#include <sys/io.h>
#include <unistd.h>

int main(void)
{
	unsigned char buf[4096];
	ssize_t n, i;

	if (ioperm(0xe9, 1, 1)) {
		perror("e9cat: ioperm(0xe9)");
		return 1;
	}
	while ((n = read(0, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			perror("e9cat: read");
			return 1;
		}
		for (i = 0; i < n; i++)
			outb(buf[i], 0xe9);
	}
	return 0;
}
