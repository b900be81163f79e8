/* TCPEchod.c - grader mutant, stage 03: CORRECT, written for glibc's
 * defaults rather than strict C11.
 *
 * A fork-per-client echo server in the older BSD style many books use:
 * bzero, u_short, wait3, usleep and signal().  None of these is declared
 * under the kit's strict flags (-std=c11 -D_POSIX_C_SOURCE=200809L), so
 * the strict build fails; the grader must build it again with glibc's
 * default features, where signal() has BSD semantics (the handler stays
 * installed, accept is restarted), grade that build in full, and say so.
 * Grader: built with -D_DEFAULT_SOURCE
 * Usage: TCPEchod PORT
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void reaper(int sig)
{
    int saved = errno;

    (void) sig;
    while (wait3(NULL, WNOHANG, NULL) > 0)
        ;
    errno = saved;
}

static void echo(int fd)
{
    char buf[8192];
    ssize_t n;

    while ((n = read(fd, buf, sizeof buf)) > 0) {
        char *p = buf;

        while (n > 0) {
            ssize_t w = write(fd, p, (size_t) n);

            if (w < 0) {
                perror("write");
                return;
            }
            p += w;
            n -= w;
        }
    }
    if (n < 0)
        perror("read");
}

int main(int argc, char **argv)
{
    struct sockaddr_in6 sin6;
    int s, one = 1, zero = 0;
    u_short port;

    if (argc != 2) {
        fprintf(stderr, "usage: %s port\n", argv[0]);
        exit(1);
    }
    port = (u_short) atoi(argv[1]);

    if ((s = socket(AF_INET6, SOCK_STREAM, 0)) < 0) {
        perror("socket");
        exit(1);
    }
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    bzero(&sin6, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = in6addr_any;
    sin6.sin6_port = htons(port);
    if (bind(s, (struct sockaddr *) &sin6, sizeof sin6) < 0) {
        perror("bind");
        exit(1);
    }
    if (listen(s, 64) < 0) {
        perror("listen");
        exit(1);
    }
    signal(SIGCHLD, reaper);

    for (;;) {
        int c = accept(s, NULL, NULL);

        if (c < 0) {
            if (errno != EINTR)
                perror("accept");
            usleep(1000);
            continue;
        }
        switch (fork()) {
        case -1:
            perror("fork");
            break;
        case 0:
            close(s);
            echo(c);
            _exit(0);
        }
        close(c);
    }
}
