// SPDX-License-Identifier: GPL-2.0
/*
 * hostview_perms: the host view is root's only.
 *
 * As root: vms, hist and handled are regular files of mode 0400, reset 0200,
 * and root can open them. Then a child drops to uid/gid 65534 (nobody;
 * setuid(2) directly, no su in the initramfs) and tries to open each file
 * the way it is meant to be used (vms, hist, handled for reading, reset for
 * writing): every open must fail with EACCES. That is checked twice: with
 * debugfs's root as mounted (0700: the walk itself stops nobody), and with
 * it opened up to 0755 for a moment, so that only the files' own modes
 * stand in the way; nobody can then see the files (stat works), but not
 * open them. The mode of /sys/kernel/debug is put back at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm_util.h"

#define DEBUGFS "/sys/kernel/debug"
#define NOBODY 65534

static const struct {
	const char *name;
	mode_t mode;
	int flags;
} files[] = {
	{ "vms", 0400, O_RDONLY },
	{ "hist", 0400, O_RDONLY },
	{ "handled", 0400, O_RDONLY },
	{ "reset", 0200, O_WRONLY },
};
#define NR_FILES 4

/* What the unprivileged child saw. */
struct as_nobody {
	int uid_ok;		/* uid and gid really are 65534 */
	int open_errno[NR_FILES];	/* 0: the open succeeded */
	int stat_errno[NR_FILES];
	int dir_errno[2];	/* stat of DEBUGFS and HOSTVIEW_DIR */
};

static struct as_nobody try_as_nobody(void)
{
	struct as_nobody res = { 0 };
	int pipefd[2], status, i;
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
		for (i = 0; i < NR_FILES; i++) {
			char path[128];
			struct stat st;
			int fd;

			snprintf(path, sizeof(path), HOSTVIEW_DIR "/%s", files[i].name);
			fd = open(path, files[i].flags);
			res.open_errno[i] = fd < 0 ? errno : 0;
			if (fd >= 0)
				close(fd);
			res.stat_errno[i] = stat(path, &st) ? errno : 0;
		}
		res.dir_errno[0] = stat(DEBUGFS, &(struct stat){ 0 }) ? errno : 0;
		res.dir_errno[1] = stat(HOSTVIEW_DIR, &(struct stat){ 0 }) ? errno : 0;
		if (write(pipefd[1], &res, sizeof(res)) != sizeof(res))
			_exit(4);
		_exit(0);
	}
	close(pipefd[1]);
	i = (int)read(pipefd[0], &res, sizeof(res));
	close(pipefd[0]);
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	errno = 0;
	TEST_ASSERT(i == sizeof(res) && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the child could not become uid %d (status 0x%x)", NOBODY, status);
	return res;
}

static void check_nobody(const char *when, bool expect_stat)
{
	struct as_nobody res = try_as_nobody();
	int i;

	CHECK(res.uid_ok, "%s: the child runs as uid and gid %d", when, NOBODY);
	tap_diag("%s: as uid %d, stat " DEBUGFS ": %s, stat " HOSTVIEW_DIR ": %s", when, NOBODY,
		 strerror(res.dir_errno[0]), strerror(res.dir_errno[1]));
	for (i = 0; i < NR_FILES; i++) {
		CHECK(res.open_errno[i] == EACCES,
		      "%s: uid %d opening %s (%s) fails with EACCES (got %s)", when, NOBODY,
		      files[i].name, files[i].flags == O_RDONLY ? "read" : "write",
		      res.open_errno[i] ? strerror(res.open_errno[i]) : "success");
		if (expect_stat)
			CHECK(res.stat_errno[i] == 0,
			      "%s: uid %d can stat %s (so only its mode refuses the open; got %s)",
			      when, NOBODY, files[i].name,
			      res.stat_errno[i] ? strerror(res.stat_errno[i]) : "success");
	}
}

int main(void)
{
	struct stat st, root_st;
	int i, fd;

	tap_init("hostview_perms");
	TEST_ASSERT(getuid() == 0, "run as root");
	for (i = 0; i < NR_FILES; i++) {
		char path[128];

		snprintf(path, sizeof(path), HOSTVIEW_DIR "/%s", files[i].name);
		if (!CHECK(stat(path, &st) == 0, "stat %s", path))
			continue;
		CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == files[i].mode &&
		      st.st_uid == 0 && st.st_gid == 0,
		      "%s: regular file, owner root:root, mode %04o (got %04o)", files[i].name,
		      (unsigned int)files[i].mode, (unsigned int)(st.st_mode & 07777));
		fd = open(path, files[i].flags);
		CHECK(fd >= 0, "root can open %s for %s", files[i].name,
		      files[i].flags == O_RDONLY ? "reading" : "writing");
		if (fd >= 0)
			close(fd);
	}

	check_nobody("debugfs as mounted", false);

	TEST_ASSERT(stat(DEBUGFS, &root_st) == 0, "stat " DEBUGFS);
	tap_diag(DEBUGFS " has mode %04o", (unsigned int)(root_st.st_mode & 07777));
	if (CHECK(chmod(DEBUGFS, 0755) == 0, "chmod 0755 " DEBUGFS " for the next check")) {
		struct stat d;

		if (!stat(HOSTVIEW_DIR, &d))
			tap_diag(HOSTVIEW_DIR " has mode %04o", (unsigned int)(d.st_mode & 07777));
		check_nobody("debugfs root opened to 0755", true);
		CHECK(chmod(DEBUGFS, root_st.st_mode & 07777) == 0, "mode of " DEBUGFS " put back");
	}
	return tap_finish();
}
