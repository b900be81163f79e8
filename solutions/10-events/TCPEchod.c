/* TCPEchod.c - stage 10: one process, many clients, with poll
 * (labs/10-events).
 *
 * Usage: ./TCPEchod [port]     (default: $LAB_PORT, else 8000 + uid % 1000)
 *
 * No child, no thread: one loop waits in poll() for whichever socket is
 * ready, the listener or any client, and does only what cannot block.
 *   - Every socket is non-blocking: a read or write that would wait fails
 *     with EAGAIN instead, and the loop moves on.
 *   - The echo is written at once, right after the read; only what the
 *     client's socket would not take is kept, in that client's buffer,
 *     and POLLOUT is asked for only while something is kept.
 *   - The bound: while a client's buffer holds anything, we stop reading
 *     from it.  A client that sends but never reads costs us at most one
 *     read's worth of memory (BUFSIZE), and TCP's flow control then holds
 *     the client back.  Everyone else is served meanwhile.
 *   - A client that vanishes (a reset, POLLHUP, POLLERR) is reported,
 *     closed and removed from the set; SIGPIPE is ignored, so a write to
 *     it fails with EPIPE rather than killing the server.
 * Try it:  ./TCPEchod 8080 &   then   ../../psockets2/TCPHold -n 500 -e localhost 8080
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "psockets.h"

#define QLEN SOMAXCONN          /* the largest backlog the system allows */
#define BUFSIZE 65536           /* one read; also the most a client may have pending */
#define LISTENER 0              /* watched[0] is the listening socket */
#define PAUSE_MS 1000           /* out of descriptors: stop accepting this long */

/* What we keep for a client: the echo its socket would not take yet. */
struct client {
    char *pending;              /* malloc'd, or NULL when nothing waits */
    size_t pending_start;       /* the first byte not yet written */
    size_t pending_end;
};

/* The sockets poll() watches, and their clients at the same index.
 * Index LISTENER is the listening socket, which has no client. */
static struct pollfd *watched;
static struct client *clients;
static nfds_t watched_count;
static nfds_t watched_room;

static void set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        errexit("TCPEchod: fcntl O_NONBLOCK: %s\n", strerror(errno));
}

/* Makes room for one more watched socket.  Returns -1 when out of memory. */
static int make_room(void)
{
    nfds_t room = watched_room == 0 ? 64 : 2 * watched_room;
    struct pollfd *more_watched;
    struct client *more_clients;

    if (watched_count < watched_room)
        return 0;
    more_watched = realloc(watched, room * sizeof *watched);
    if (more_watched == NULL)
        return -1;
    watched = more_watched;
    more_clients = realloc(clients, room * sizeof *clients);
    if (more_clients == NULL)
        return -1;
    clients = more_clients;
    watched_room = room;
    return 0;
}

static void add_client(int conn_fd)
{
    if (make_room() < 0) {
        fprintf(stderr, "TCPEchod: out of memory: client dropped\n");
        close(conn_fd);
        return;
    }
    watched[watched_count].fd = conn_fd;
    watched[watched_count].events = POLLIN;
    watched[watched_count].revents = 0;
    clients[watched_count].pending = NULL;
    watched_count++;
}

/* Closes client i and forgets it: the last entry takes its place, so the
 * set stays packed (and poll never sees a closed descriptor). */
static void drop_client(nfds_t i)
{
    if (close(watched[i].fd) < 0)
        fprintf(stderr, "TCPEchod: close: %s\n", strerror(errno));
    free(clients[i].pending);
    watched_count--;
    watched[i] = watched[watched_count];
    clients[i] = clients[watched_count];
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
            /* Say EMFILE: the connection stays queued and the listener
             * readable, so stop watching it for a while, not to spin. */
            watched[LISTENER].events = 0;
            return;
        }
        set_nonblocking(conn_fd);
        add_client(conn_fd);
    }
}

/* Writes what client i has pending.  Returns -1 if the client is gone. */
static int write_pending(nfds_t i)
{
    struct client *client = &clients[i];
    ssize_t sent = write(watched[i].fd, client->pending + client->pending_start,
                         client->pending_end - client->pending_start);

    if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;                   /* still full: try at the next POLLOUT */
        /* EPIPE or ECONNRESET: the client vanished.  SIGPIPE is ignored. */
        fprintf(stderr, "TCPEchod: write: %s\n", strerror(errno));
        return -1;
    }
    client->pending_start += (size_t) sent;
    if (client->pending_start == client->pending_end) {
        free(client->pending);          /* drained: read from it again */
        client->pending = NULL;
        watched[i].events = POLLIN;
    }
    return 0;
}

/* Keeps the part of an echo that the socket would not take, and stops
 * reading from client i until it is written: that is the bound. */
static int keep_pending(nfds_t i, const char *rest, size_t length)
{
    struct client *client = &clients[i];

    client->pending = malloc(length);
    if (client->pending == NULL) {
        fprintf(stderr, "TCPEchod: out of memory: client dropped\n");
        return -1;
    }
    memcpy(client->pending, rest, length);
    client->pending_start = 0;
    client->pending_end = length;
    watched[i].events = POLLOUT;
    return 0;
}

/* Reads what client i sent and echoes it at once.  Returns -1 when the
 * client is done (end-of-file) or gone (an error). */
static int echo_what_arrived(nfds_t i)
{
    static char buf[BUFSIZE];
    ssize_t got = read(watched[i].fd, buf, sizeof buf);
    ssize_t sent;

    if (got == 0)
        return -1;                      /* the client closed its side */
    if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;                   /* nothing after all */
        fprintf(stderr, "TCPEchod: read: %s\n", strerror(errno));
        return -1;                      /* ECONNRESET, most often */
    }
    sent = write(watched[i].fd, buf, (size_t) got);
    if (sent < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            fprintf(stderr, "TCPEchod: write: %s\n", strerror(errno));
            return -1;
        }
        sent = 0;
    }
    if (sent == got)
        return 0;                       /* the usual case: nothing to keep */
    return keep_pending(i, buf + sent, (size_t) (got - sent));
}

/* Does what client i is ready for.  POLLHUP and POLLERR come with no
 * event asked for: the read or write then fails and says why. */
static void serve_client(nfds_t i)
{
    short ready = watched[i].revents;
    int status = 0;

    if (ready & POLLNVAL) {
        fprintf(stderr, "TCPEchod: poll: descriptor %d is not open\n", watched[i].fd);
        status = -1;
    } else if (watched[i].events & POLLOUT) {
        if (ready & (POLLOUT | POLLHUP | POLLERR))
            status = write_pending(i);
    } else if (ready & (POLLIN | POLLHUP | POLLERR)) {
        status = echo_what_arrived(i);
    }
    if (status < 0) {
        drop_client(i);
        /* A descriptor is free again: listen again if we had stopped. */
        watched[LISTENER].events = POLLIN;
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
    fprintf(out, "usage: TCPEchod [port]\n"
            "Echo server: one process, every client, with poll.\n"
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
    /* A client that resets between poll and accept must not leave us
     * blocked in accept (the BSDs drop it from the queue), and the accept
     * loop stops at EAGAIN. */
    set_nonblocking(listen_fd);
    ignore_sigpipe();
    if (make_room() < 0)
        errexit("TCPEchod: out of memory\n");
    watched[LISTENER].fd = listen_fd;
    watched[LISTENER].events = POLLIN;
    watched_count = 1;
    fprintf(stderr, "TCPEchod: listening on port %s\n", port);

    for (;;) {
        /* Wait for as long as it takes: no timeout, no busy loop, unless
         * we stopped accepting (EMFILE) and must look again later. */
        int timeout = watched[LISTENER].events == 0 ? PAUSE_MS : -1;
        int ready = poll(watched, watched_count, timeout);
        nfds_t i;

        if (ready < 0) {
            if (errno == EINTR)
                continue;
            errexit("TCPEchod: poll: %s\n", strerror(errno));
        }
        if (ready == 0) {
            watched[LISTENER].events = POLLIN;  /* the pause is over */
            continue;
        }
        /* From the last client down: drop_client moves the last entry
         * into the freed place, one we have already served. */
        for (i = watched_count - 1; i > LISTENER; i--)
            if (watched[i].revents != 0)
                serve_client(i);
        /* After the clients: the new ones are added at the end, with no
         * events yet. */
        if (watched[LISTENER].revents & POLLIN)
            accept_clients(listen_fd);
    }
}
