/* fdreport.c - what a program inherits: its user, groups and open
 * descriptors (psockets2).
 *
 * Usage: fdreport
 *
 * Writes to standard output its user and group IDs, its supplementary
 * groups, and one line per open descriptor saying what it refers to:
 *     uid 65534
 *     gid 65534
 *     groups 65534
 *     fd 0: socket, connected: local [::ffff:127.0.0.1]:8080, peer [::ffff:127.0.0.1]:51234 (socket:[4712])
 *     fd 1: socket, connected: local [::ffff:127.0.0.1]:8080, peer [::ffff:127.0.0.1]:51234 (socket:[4712])
 *     fd 2: pipe or FIFO (pipe:[4690])
 * A socket is "listening" (SO_ACCEPTCONN) or "connected" with both its
 * addresses; on Linux the name /proc gives each descriptor follows in
 * parentheses (the same socket:[inode] twice is one socket, twice).
 *
 * Run by a superserver (labs/09-superserver), it shows exactly what the
 * exec'ed child inherits: is standard input and output the connection,
 * and did the listener or a second copy of the connection leak in?
 * Try it:  ./fdreport      then      ./fdreport 3</dev/null
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "psockets.h"

#define MAX_GROUPS 256
#define FALLBACK_OPEN_MAX 1024

/* Writes "[address]:port" of a socket address into text. */
static void format_address(const struct sockaddr_storage *address,
                           char *text, size_t size)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;

    if (address->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *) address;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
    } else if (address->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) address;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
    } else {
        snprintf(text, size, "(address family %d)", (int) address->ss_family);
        return;
    }
    snprintf(text, size, "[%s]:%u", host, port);
}

/* Describes socket fd: listening or connected, with its addresses. */
static void describe_socket(int fd)
{
    struct sockaddr_storage local, peer;
    socklen_t local_len = sizeof local, peer_len = sizeof peer;
    char local_text[INET6_ADDRSTRLEN + 16], peer_text[INET6_ADDRSTRLEN + 16];
    int listening = 0;
    socklen_t option_len = sizeof listening;

    memset(&local, 0, sizeof local);
    memset(&peer, 0, sizeof peer);
    if (getsockname(fd, (struct sockaddr *) &local, &local_len) < 0) {
        printf("socket (getsockname: %s)", strerror(errno));
        return;
    }
    format_address(&local, local_text, sizeof local_text);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &option_len) == 0
        && listening) {
        printf("socket, listening: local %s", local_text);
        return;
    }
    if (getpeername(fd, (struct sockaddr *) &peer, &peer_len) < 0) {
        printf("socket, not connected: local %s", local_text);
        return;
    }
    format_address(&peer, peer_text, sizeof peer_text);
    printf("socket, connected: local %s, peer %s", local_text, peer_text);
}

static void describe_descriptor(int fd)
{
    struct stat status;
    char proc_path[64], target[256];
    ssize_t target_len;

    if (fstat(fd, &status) < 0) {
        printf("fd %d: (fstat: %s)\n", fd, strerror(errno));
        return;
    }
    printf("fd %d: ", fd);
    if (S_ISSOCK(status.st_mode))
        describe_socket(fd);
    else if (S_ISFIFO(status.st_mode))
        printf("pipe or FIFO");
    else if (S_ISREG(status.st_mode))
        printf("regular file");
    else if (S_ISCHR(status.st_mode))
        printf("character device");
    else if (S_ISDIR(status.st_mode))
        printf("directory");
    else
        printf("other");
    /* Linux names each descriptor in /proc; other systems have no such
     * file, and the line simply ends here.  readlink opens nothing, so
     * looking adds no descriptor to the report. */
    snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", fd);
    target_len = readlink(proc_path, target, sizeof target - 1);
    if (target_len > 0) {
        target[target_len] = '\0';
        printf(" (%s)", target);
    }
    printf("\n");
}

static void report_user(void)
{
    gid_t groups[MAX_GROUPS];
    int count = getgroups(MAX_GROUPS, groups);
    int k;

    if (count < 0)
        errexit("fdreport: getgroups: %s\n", strerror(errno));
    printf("uid %lu\ngid %lu\ngroups", (unsigned long) getuid(),
           (unsigned long) getgid());
    for (k = 0; k < count; k++)
        printf(" %lu", (unsigned long) groups[k]);
    printf("\n");
}

/* Every descriptor from 0 to the process's limit that fcntl finds open:
 * the portable way (POSIX has no call that lists them). */
static void report_descriptors(void)
{
    long open_max = sysconf(_SC_OPEN_MAX);
    int fd;

    if (open_max < 0 || open_max > 1048576)
        open_max = FALLBACK_OPEN_MAX;
    for (fd = 0; fd < open_max; fd++) {
        if (fcntl(fd, F_GETFD) >= 0)
            describe_descriptor(fd);
    }
}

int main(int argc, char *argv[])
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: fdreport\n"
               "Writes to standard output its uid, gid and supplementary"
               " groups, then one line\nper open descriptor saying what"
               " it refers to (a connected or listening socket\nwith its"
               " addresses, a pipe, a file...).  Run it from a"
               " superserver to see what\nthe exec'ed program inherits.\n");
        return EXIT_SUCCESS;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: fdreport\n");
        return EXIT_FAILURE;
    }
    /* stdout may be the connection: buffer the whole report, and check
     * that it really went out. */
    report_user();
    report_descriptors();
    if (fflush(stdout) == EOF)
        errexit("fdreport: write standard output: %s\n", strerror(errno));
    return EXIT_SUCCESS;
}
