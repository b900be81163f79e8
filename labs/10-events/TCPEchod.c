/* TCPEchod.c - stage 10: one process, many clients (labs/10-events).
 *
 * Usage: ./TCPEchod [port]     (default: $LAB_PORT, else 8000 + uid % 1000)
 *
 * Your starting point: stage 01's sequential server, with passiveTCP.
 * It serves one client at a time: while it echoes one, the others wait.
 * Make it serve every client from this one process, with one thread
 * (README.md, steps 2 to 7): one loop waiting in select, then poll, for
 * whichever socket is ready; non-blocking sockets; the echo written at
 * once and only the rest kept, within a bound; clients that vanish
 * dropped without harm.
 * Try it:  ./TCPEchod 8080 &   then   ../../psockets2/TCPHold -n 2 -s 5 -e localhost 8080
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "psockets.h"

#define QLEN SOMAXCONN          /* the largest backlog the system allows */
#define BUFSIZE 65536           /* one read */

/* Copies everything the client sends back to it, until end-of-file.
 * Returns EXIT_SUCCESS, or EXIT_FAILURE after reporting the error.
 *
 * TODO (step 5): with one thread, this loop is the problem: it blocks in
 * read() while this client is silent, and in writen() while it does not
 * read, and everybody else waits.  Replace it by a function that reads
 * once, when poll says the client is readable, writes the echo at once,
 * and keeps what the socket would not take for POLLOUT.
 * TODO (step 6): while a client has something kept, do not read from it
 * (ask for POLLOUT only): that bounds what you keep to one read. */
static int echo_until_eof(int conn_fd)
{
    char buf[BUFSIZE];
    ssize_t got;

    for (;;) {
        got = read(conn_fd, buf, sizeof buf);
        if (got == 0)
            return EXIT_SUCCESS;        /* the client closed its side */
        if (got < 0) {
            fprintf(stderr, "TCPEchod: read: %s\n", strerror(errno));
            return EXIT_FAILURE;
        }
        /* write() may send fewer bytes than asked: writen loops. */
        if (writen(conn_fd, buf, (size_t) got) < 0) {
            fprintf(stderr, "TCPEchod: write: %s\n", strerror(errno));
            return EXIT_FAILURE;
        }
    }
}

static void usage(FILE *out, const char *port, int status)
{
    fprintf(out, "usage: TCPEchod [port]\n"
            "Echo server: one client at a time.\n"
            "Default port: $LAB_PORT if set, else 8000 + uid %% 1000"
            " (here: %s).\n", port);
    exit(status);
}

int main(int argc, char *argv[])
{
    const char *port = default_port();
    int listen_fd;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, port, EXIT_SUCCESS);
    if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
        usage(stderr, port, EXIT_FAILURE);
    if (argc == 2)
        port = argv[1];

    listen_fd = passiveTCP(port, QLEN);
    /* TODO (step 4): make listen_fd non-blocking (fcntl F_GETFL, then
     * F_SETFL with O_NONBLOCK), and each socket accept() returns too.
     * TODO (step 7): ignore SIGPIPE (sigaction, SIG_IGN), as in stage 04:
     * here the process that a write to a reset client kills serves
     * everyone. */
    fprintf(stderr, "TCPEchod: listening on port %s\n", port);

    /* TODO (step 2): one loop for every client.  Wait in select() for the
     * listener and every client at once, then accept or echo whichever is
     * ready.  Keep that version as TCPEchod-select.c.
     * TODO (step 3): then here, the same loop with poll(): an array of
     * struct pollfd, a timeout of -1, and a client's entry removed when
     * you close it. */
    for (;;) {
        int conn_fd = accept(listen_fd, NULL, NULL);

        if (conn_fd < 0) {
            /* ECONNABORTED: the client left before we got to it. */
            if (errno != ECONNABORTED) {
                fprintf(stderr, "TCPEchod: accept: %s\n", strerror(errno));
                sleep(1);
            }
            continue;
        }
        echo_until_eof(conn_fd);        /* errors are reported inside */
        if (close(conn_fd) < 0)
            fprintf(stderr, "TCPEchod: close: %s\n", strerror(errno));
    }
}
