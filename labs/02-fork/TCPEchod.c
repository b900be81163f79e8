/* TCPEchod.c - stage 02: one child process per client (labs/02-fork).
 *
 * Usage: ./TCPEchod [port]     (default: $LAB_PORT, else 8000 + uid % 1000)
 *
 * Your starting point: the sequential server of stage 01, with its
 * listener now made by passiveTCP() (it does what your open_listener did).
 * It serves one client at a time.  The TODO marker in main() shows where
 * your work goes: hand each client to a child process (README.md, step 2).
 * Try it:  ./TCPEchod 8080 &   then   echo hello | ../../psockets2/TCPEcho localhost 8080
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "psockets.h"

#define QLEN 32                 /* backlog of connections not yet accepted */
#define BUFSIZE 65536           /* one read takes all a fast client has sent */

/* Copies everything the client sends back to it, until end-of-file.
 * Returns EXIT_SUCCESS, or EXIT_FAILURE after reporting the error. */
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

    /* passiveTCP() builds the listener exactly as you did in stage 01. */
    listen_fd = passiveTCP(port, QLEN);
    fprintf(stderr, "TCPEchod: listening on port %s\n", port);

    for (;;) {
        int conn_fd = accept(listen_fd, NULL, NULL);

        if (conn_fd < 0) {
            /* ECONNABORTED: the client left before we got to it. */
            if (errno != ECONNABORTED) {
                /* Say EMFILE (out of descriptors): it may last, so pause
                 * rather than spin. */
                fprintf(stderr, "TCPEchod: accept: %s\n", strerror(errno));
                sleep(1);
            }
            continue;
        }
        /* TODO (step 2): fork() a child that serves this client and
         * exits, while the parent goes straight back to accept().  Each
         * process closes the socket it does not need. */
        echo_until_eof(conn_fd);        /* errors are reported inside */
        if (close(conn_fd) < 0)
            fprintf(stderr, "TCPEchod: close: %s\n", strerror(errno));
    }
}
