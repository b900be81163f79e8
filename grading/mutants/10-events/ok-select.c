/* TCPEchod-select.c - stage 10, step 2: one process, many clients, with
 * select (labs/10-events).
 *
 * Usage: ./TCPEchod-select [port]  (default: $LAB_PORT, else 8000 + uid % 1000)
 *
 * The same server as TCPEchod.c, with select() instead of poll(): the
 * oldest way to wait for many descriptors at once, and its two limits.
 *   - An fd_set is a bitmap of FD_SETSIZE bits (1024 on Linux and most
 *     systems): a descriptor at or above it cannot be watched at all, so
 *     such a client is refused.  poll() has no such limit.
 *   - select() overwrites the sets with the answer: they are built again,
 *     from the table of clients, before every call.
 * Clients are kept in a table indexed by their descriptor.  Every socket
 * is non-blocking, the echo is written at once and only the rest kept,
 * and a client with something kept is not read from (the bound).
 * Try it:  ./TCPEchod-select 8080 &   then   ../../psockets2/TCPHold -n 500 -e localhost 8080
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/select.h>
#include <sys/socket.h>

#include "psockets.h"

#define QLEN SOMAXCONN          /* the largest backlog the system allows */
#define BUFSIZE 65536           /* one read; also the most a client may have pending */
#define PAUSE_SECONDS 1         /* out of descriptors: stop accepting this long */

/* What we keep for a client: the echo its socket would not take yet. */
struct client {
    int connected;              /* this descriptor is a client of ours */
    char *pending;              /* malloc'd, or NULL when nothing waits */
    size_t pending_start;       /* the first byte not yet written */
    size_t pending_end;
};

/* Indexed by descriptor: select() speaks in descriptors. */
static struct client clients[FD_SETSIZE];
static int accepting = 1;       /* 0 while out of descriptors */

static void set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        errexit("TCPEchod: fcntl O_NONBLOCK: %s\n", strerror(errno));
}

static void drop_client(int fd)
{
    if (close(fd) < 0)
        fprintf(stderr, "TCPEchod: close: %s\n", strerror(errno));
    free(clients[fd].pending);
    clients[fd].pending = NULL;
    clients[fd].connected = 0;
    accepting = 1;              /* a descriptor is free again */
}

/* Accepts every connection waiting in the backlog, until accept() would
 * block: the listener is non-blocking, so this never waits. */
static void accept_clients(int listen_fd)
{
    for (;;) {
        int conn_fd = accept(listen_fd, NULL, NULL);

        if (conn_fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;                 /* the backlog is empty */
            if (errno == ECONNABORTED || errno == EINTR)
                continue;               /* that client left first */
            fprintf(stderr, "TCPEchod: accept: %s\n", strerror(errno));
            accepting = 0;              /* EMFILE: pause, do not spin */
            return;
        }
        if (conn_fd >= FD_SETSIZE) {
            /* FD_SET on it would write past the end of the bitmap. */
            fprintf(stderr, "TCPEchod: descriptor %d is beyond FD_SETSIZE (%d):"
                    " client dropped\n", conn_fd, FD_SETSIZE);
            close(conn_fd);
            continue;
        }
        set_nonblocking(conn_fd);
        clients[conn_fd].connected = 1;
        clients[conn_fd].pending = NULL;
    }
}

/* Writes what the client on fd has pending.  Returns -1 if it is gone. */
static int write_pending(int fd)
{
    struct client *client = &clients[fd];
    ssize_t sent = write(fd, client->pending + client->pending_start,
                         client->pending_end - client->pending_start);

    if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;                   /* still full */
        fprintf(stderr, "TCPEchod: write: %s\n", strerror(errno));
        return -1;                      /* EPIPE or ECONNRESET: SIGPIPE is ignored */
    }
    client->pending_start += (size_t) sent;
    if (client->pending_start == client->pending_end) {
        free(client->pending);          /* drained: read from it again */
        client->pending = NULL;
    }
    return 0;
}

/* Keeps the part of an echo the socket would not take; while it is kept
 * the client is not read from: that is the bound. */
static int keep_pending(int fd, const char *rest, size_t length)
{
    struct client *client = &clients[fd];

    client->pending = malloc(length);
    if (client->pending == NULL) {
        fprintf(stderr, "TCPEchod: out of memory: client dropped\n");
        return -1;
    }
    memcpy(client->pending, rest, length);
    client->pending_start = 0;
    client->pending_end = length;
    return 0;
}

/* Reads what the client on fd sent and echoes it at once.  Returns -1
 * when the client is done (end-of-file) or gone (an error). */
static int echo_what_arrived(int fd)
{
    static char buf[BUFSIZE];
    ssize_t got = read(fd, buf, sizeof buf);
    ssize_t sent;

    if (got == 0)
        return -1;                      /* the client closed its side */
    if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        fprintf(stderr, "TCPEchod: read: %s\n", strerror(errno));
        return -1;
    }
    sent = write(fd, buf, (size_t) got);
    if (sent < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            fprintf(stderr, "TCPEchod: write: %s\n", strerror(errno));
            return -1;
        }
        sent = 0;
    }
    if (sent == got)
        return 0;
    return keep_pending(fd, buf + sent, (size_t) (got - sent));
}

/* select() overwrites its sets: build them again from the table.
 * Returns the highest descriptor in them. */
static int build_sets(int listen_fd, fd_set *readable, fd_set *writable)
{
    int highest = listen_fd;
    int fd;

    FD_ZERO(readable);
    FD_ZERO(writable);
    if (accepting)
        FD_SET(listen_fd, readable);
    for (fd = 0; fd < FD_SETSIZE; fd++) {
        if (!clients[fd].connected)
            continue;
        /* Either read or write, never both: that is the bound. */
        FD_SET(fd, clients[fd].pending != NULL ? writable : readable);
        if (fd > highest)
            highest = fd;
    }
    return highest;
}

static void serve_clients(const fd_set *readable, const fd_set *writable)
{
    int fd;

    for (fd = 0; fd < FD_SETSIZE; fd++) {
        int status = 0;

        if (!clients[fd].connected)
            continue;
        if (FD_ISSET(fd, writable))
            status = write_pending(fd);
        else if (FD_ISSET(fd, readable))
            status = echo_what_arrived(fd);
        if (status < 0)
            drop_client(fd);
    }
}

static void ignore_sigpipe(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    /* A write to a reset connection then fails with EPIPE: the default
     * action would kill the server and every client with it. */
    action.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &action, NULL) < 0)
        errexit("TCPEchod: sigaction SIGPIPE: %s\n", strerror(errno));
}

static void usage(FILE *out, const char *port, int status)
{
    fprintf(out, "usage: TCPEchod-select [port]\n"
            "Echo server: one process, every client, with select.\n"
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
    if (listen_fd >= FD_SETSIZE)
        errexit("TCPEchod: listener %d is beyond FD_SETSIZE\n", listen_fd);
    set_nonblocking(listen_fd);     /* see TCPEchod.c */
    ignore_sigpipe();
    fprintf(stderr, "TCPEchod: listening on port %s\n", port);

    for (;;) {
        fd_set readable, writable;
        int highest = build_sets(listen_fd, &readable, &writable);
        /* No timeout (NULL): wait as long as it takes, unless we stopped
         * accepting and must look again later.  select() may change it. */
        struct timeval pause = { PAUSE_SECONDS, 0 };
        int ready = select(highest + 1, &readable, &writable, NULL,
                           accepting ? NULL : &pause);

        if (ready < 0) {
            if (errno == EINTR)
                continue;
            errexit("TCPEchod: select: %s\n", strerror(errno));
        }
        if (ready == 0) {
            accepting = 1;              /* the pause is over */
            continue;
        }
        serve_clients(&readable, &writable);
        if (FD_ISSET(listen_fd, &readable))
            accept_clients(listen_fd);
    }
}
