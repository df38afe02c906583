/* jail-peek: what a program azote-jailer starts sees from inside its jail,
 * printed as "key=value" lines for tests/integration/16-jailer.sh: its
 * arguments, identity, capabilities, PID, environment, open fds, limits,
 * the files at its root and in /dev, whether a host file and /proc are out
 * of reach, and its network interfaces. With --hold it then waits for a
 * signal, so that the test can look at it from outside (/proc/PID). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>

extern char **environ;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted, space-separated. */
static void list_dir(const char *key, const char *dir)
{
	char *names[256];
	unsigned n = 0;
	DIR *d = opendir(dir);

	printf("%s=", key);
	if (!d) {
		printf("error:%s\n", strerror(errno));
		return;
	}
	for (struct dirent *de; n < 256 && (de = readdir(d));)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (unsigned i = 0; i < n; i++) {
		printf("%s%s", i ? " " : "", names[i]);
		free(names[i]);
	}
	printf("\n");
}

/* "ok" or the errno name of opening path with flags. */
static void try_open(const char *key, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	printf("%s=%s\n", key, fd >= 0 ? "ok" : strerrorname_np(errno));
	if (fd >= 0)
		close(fd);
}

static void print_limits(void)
{
	struct rlimit nofile, fsize;

	getrlimit(RLIMIT_NOFILE, &nofile);
	getrlimit(RLIMIT_FSIZE, &fsize);
	printf("nofile=%llu\nfsize=%lld\n", (unsigned long long)nofile.rlim_cur,
	       fsize.rlim_cur == RLIM_INFINITY ? -1LL : (long long)fsize.rlim_cur);
}

static void print_identity(void)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[2] = { 0 };

	getresuid(&r, &e, &s);
	getresgid(&rg, &eg, &sg);
	printf("uid=%u:%u:%u\ngid=%u:%u:%u\ngroups=%d\n", r, e, s, rg, eg, sg,
	       getgroups(0, NULL));
	if (syscall(SYS_capget, &h, caps) == 0)
		printf("cap_eff=%08x%08x\ncap_prm=%08x%08x\n", caps[1].effective,
		       caps[0].effective, caps[1].permitted, caps[0].permitted);
	printf("pid=%d\n", (int)getpid());
}

static void print_fds_env(void)
{
	unsigned env = 0;

	printf("fds=");
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			printf("%s%d", fd ? " " : "", fd);
	printf("\n");
	for (char **v = environ; *v; v++)
		env++;
	printf("env=%u\n", env);
}

static void print_interfaces(void)
{
	struct if_nameindex *ifs = if_nameindex();

	printf("ifs=");
	for (struct if_nameindex *i = ifs; i && i->if_index; i++)
		printf("%s%s", i == ifs ? "" : " ", i->if_name);
	printf("\n");
	if (ifs)
		if_freenameindex(ifs);
}

int main(int argc, char **argv)
{
	int hold = 0;

	printf("argv=");
	for (int i = 0; i < argc; i++) {
		printf("%s%s", i ? " " : "", argv[i]);
		hold |= !strcmp(argv[i], "--hold");
	}
	printf("\n");
	print_identity();
	print_fds_env();
	print_limits();
	list_dir("root", "/");
	list_dir("dev", "/dev");
	try_open("host_passwd", "/etc/passwd", O_RDONLY);
	try_open("proc", "/proc/self/status", O_RDONLY);
	try_open("kvm", "/dev/kvm", O_RDWR);
	print_interfaces();
	printf("peek done\n");
	fflush(stdout);
	if (hold)
		pause();
	return 0;
}
