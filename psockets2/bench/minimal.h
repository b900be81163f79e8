/* minimal.h - what every minimal echo server of make bench shares.
 *
 * The minimal servers (minimal-*.c) are the yardstick the kit's reference
 * servers are measured against: one design each, written plainly, with
 * the two settings a server tuned for speed would pick: a 64 KiB buffer
 * (one read takes what a loopback segment burst brings) and a SOMAXCONN
 * backlog (a burst of connections waits in the queue instead of being
 * dropped and retried a second later).
 */
#ifndef MINIMAL_H
#define MINIMAL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "psockets.h"

#define MINIMAL_BUFSIZE 65536
#define MINIMAL_QLEN SOMAXCONN

/* Copies everything the client sends back to it until end-of-file; says
 * why it stopped early, if it did. */
static inline void echo_until_eof(int conn_fd)
{
    char buf[MINIMAL_BUFSIZE];
    ssize_t got;

    while ((got = read(conn_fd, buf, sizeof buf)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            fprintf(stderr, "minimal: read: %s\n", strerror(errno));
            return;
        }
        if (writen(conn_fd, buf, (size_t) got) < 0) {
            fprintf(stderr, "minimal: write: %s\n", strerror(errno));
            return;
        }
    }
}

/* The one argument every minimal server takes: its port. */
static inline const char *port_argument(int argc, char *argv[])
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: %s port\n", argv[0]);
        exit(EXIT_FAILURE);
    }
    return argv[1];
}

/* accept(), retried when a handler interrupted it or the client left;
 * any other failure is reported and paused on (EMFILE would spin). */
static inline int accept_client(int listen_fd)
{
    for (;;) {
        int conn_fd = accept(listen_fd, NULL, NULL);

        if (conn_fd >= 0)
            return conn_fd;
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        fprintf(stderr, "minimal: accept: %s\n", strerror(errno));
        sleep(1);
    }
}

#endif
