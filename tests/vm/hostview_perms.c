// SPDX-License-Identifier: GPL-2.0
/*
 * hostview_perms: the host view is root's only.
 *
 * As root: /dev/exitcount is a character device of mode 0400, owned by
 * root:root, and root can open it. Then a child drops to uid/gid 65534
 * (nobody; setuid(2) directly, no su in the initramfs): it can stat the
 * node (so only its mode stands in the way), but opening it for reading
 * or writing fails with EACCES; and with a descriptor root opened before
 * the drop, its EC_IOC_RESET fails with EPERM (reset is CAP_SYS_ADMIN's,
 * whoever holds the file).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm_util.h"

#define NOBODY 65534

/* What the unprivileged child saw. */
struct as_nobody {
	int uid_ok;		/* uid and gid really are 65534 */
	int stat_errno;
	int read_errno;		/* 0: the open succeeded */
	int write_errno;
	int reset_errno;	/* EC_IOC_RESET on root's descriptor */
};

static int open_errno(int flags)
{
	int fd = open(HOSTVIEW_DEV, flags);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static struct as_nobody try_as_nobody(int root_fd)
{
	struct as_nobody res = { 0 };
	int pipefd[2], status, n;
	pid_t pid;

	TEST_ASSERT(pipe(pipefd) == 0, "pipe");
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		close(pipefd[0]);
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(3);
		res.uid_ok = getuid() == NOBODY && geteuid() == NOBODY &&
			     getgid() == NOBODY && getegid() == NOBODY;
		res.stat_errno = stat(HOSTVIEW_DEV, &(struct stat){ 0 }) ? errno : 0;
		res.read_errno = open_errno(O_RDONLY);
		res.write_errno = open_errno(O_WRONLY);
		res.reset_errno = ioctl(root_fd, EC_IOC_RESET) ? errno : 0;
		if (write(pipefd[1], &res, sizeof(res)) != sizeof(res))
			_exit(4);
		_exit(0);
	}
	close(pipefd[1]);
	n = (int)read(pipefd[0], &res, sizeof(res));
	close(pipefd[0]);
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	errno = 0;
	TEST_ASSERT(n == sizeof(res) && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the child could not become uid %d (status 0x%x)", NOBODY, status);
	return res;
}

static const char *err_name(int e)
{
	return e ? strerror(e) : "success";
}

int main(void)
{
	struct as_nobody res;
	struct stat st;
	int fd;

	tap_init("hostview_perms");
	TEST_ASSERT(getuid() == 0, "run as root");
	TEST_ASSERT(stat(HOSTVIEW_DEV, &st) == 0, "stat " HOSTVIEW_DEV);
	CHECK(S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0400 &&
	      st.st_uid == 0 && st.st_gid == 0,
	      HOSTVIEW_DEV ": character device, owner root:root, mode 0400 (got %04o, %s)",
	      (unsigned int)(st.st_mode & 07777), S_ISCHR(st.st_mode) ? "char" : "not char");
	fd = open(HOSTVIEW_DEV, O_RDONLY);
	TEST_ASSERT(fd >= 0, "root opens " HOSTVIEW_DEV " for reading");

	res = try_as_nobody(fd);
	close(fd);
	CHECK(res.uid_ok, "the child runs as uid and gid %d", NOBODY);
	CHECK(res.stat_errno == 0, "uid %d can stat " HOSTVIEW_DEV
	      " (so only its mode refuses the open; got %s)", NOBODY, err_name(res.stat_errno));
	CHECK(res.read_errno == EACCES, "uid %d opening " HOSTVIEW_DEV
	      " for reading fails with EACCES (got %s)", NOBODY, err_name(res.read_errno));
	CHECK(res.write_errno == EACCES, "uid %d opening " HOSTVIEW_DEV
	      " for writing fails with EACCES (got %s)", NOBODY, err_name(res.write_errno));
	CHECK(res.reset_errno == EPERM, "uid %d's EC_IOC_RESET on root's descriptor fails with EPERM (got %s)",
	      NOBODY, err_name(res.reset_errno));
	return tap_finish();
}
