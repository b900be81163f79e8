/* TCPEchod-epoll.c - stage 10, step 7 (optional, Linux only): one
 * process, many clients, with epoll (labs/10-events).
 *
 * Usage: ./TCPEchod-epoll [port]   (default: $LAB_PORT, else 8000 + uid % 1000)
 *
 * The same server as TCPEchod.c, with Linux's epoll instead of poll().
 * poll() hands the kernel the whole list of descriptors at every call,
 * and the kernel checks each one: the cost grows with the number of
 * clients, even idle ones.  epoll keeps the list in the kernel (one
 * epoll_ctl per change) and epoll_wait returns only the ready ones.
 * Level-triggered, as poll is: a socket with data left stays ready.
 * epoll is Linux only (the BSDs and macOS have kqueue): the Makefile
 * builds this file on Linux only.
 * Try it:  ./TCPEchod-epoll 8080 &   then   ../../psockets2/TCPHold -n 500 -e localhost 8080
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/epoll.h>
#include <sys/socket.h>

#include "psockets.h"

#define QLEN SOMAXCONN          /* the largest backlog the system allows */
#define BUFSIZE 65536           /* one read; also the most a client may have pending */
#define MAX_EVENTS 256          /* ready sockets taken per epoll_wait */
#define PAUSE_MS 1000           /* out of descriptors: stop accepting this long */

/* A client: its socket, and the echo that socket would not take yet.
 * epoll hands back a pointer to it with each event. */
struct client {
    int fd;
    char *pending;              /* malloc'd, or NULL when nothing waits */
    size_t pending_start;       /* the first byte not yet written */
    size_t pending_end;
};

static int epoll_fd;
static int listen_fd;
static int accepting = 1;       /* 0 while out of descriptors */

static void set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        errexit("TCPEchod: fcntl O_NONBLOCK: %s\n", strerror(errno));
}

/* Tells epoll what to wait for on fd (EPOLL_CTL_ADD or EPOLL_CTL_MOD);
 * data is the client, or NULL for the listener. */
static int watch(int operation, int fd, unsigned events, struct client *data)
{
    struct epoll_event event;

    memset(&event, 0, sizeof event);
    event.events = events;
    event.data.ptr = data;
    if (epoll_ctl(epoll_fd, operation, fd, &event) < 0) {
        fprintf(stderr, "TCPEchod: epoll_ctl: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* Closing the socket also removes it from the epoll set (it has no other
 * copy). */
static void drop_client(struct client *client)
{
    if (close(client->fd) < 0)
        fprintf(stderr, "TCPEchod: close: %s\n", strerror(errno));
    free(client->pending);
    free(client);
    if (!accepting && watch(EPOLL_CTL_MOD, listen_fd, EPOLLIN, NULL) == 0)
        accepting = 1;          /* a descriptor is free again */
}

static void add_client(int conn_fd)
{
    struct client *client = malloc(sizeof *client);

    if (client == NULL) {
        fprintf(stderr, "TCPEchod: out of memory: client dropped\n");
        close(conn_fd);
        return;
    }
    client->fd = conn_fd;
    client->pending = NULL;
    if (watch(EPOLL_CTL_ADD, conn_fd, EPOLLIN, client) < 0) {
        close(conn_fd);
        free(client);
    }
}

/* Accepts every connection waiting in the backlog, until accept() would
 * block: the listener is non-blocking, so this never waits. */
static void accept_clients(void)
{
    for (;;) {
        int conn_fd = accept(listen_fd, NULL, NULL);

        if (conn_fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;                 /* the backlog is empty */
            if (errno == ECONNABORTED || errno == EINTR)
                continue;               /* that client left first */
            fprintf(stderr, "TCPEchod: accept: %s\n", strerror(errno));
            /* EMFILE: stop watching the listener for a while, not to spin. */
            if (watch(EPOLL_CTL_MOD, listen_fd, 0, NULL) == 0)
                accepting = 0;
            return;
        }
        set_nonblocking(conn_fd);
        add_client(conn_fd);
    }
}

/* Writes what the client has pending.  Returns -1 if it is gone. */
static int write_pending(struct client *client)
{
    ssize_t sent = write(client->fd, client->pending + client->pending_start,
                         client->pending_end - client->pending_start);

    if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;                   /* still full */
        fprintf(stderr, "TCPEchod: write: %s\n", strerror(errno));
        return -1;                      /* EPIPE or ECONNRESET: SIGPIPE is ignored */
    }
    client->pending_start += (size_t) sent;
    if (client->pending_start < client->pending_end)
        return 0;
    free(client->pending);              /* drained: read from it again */
    client->pending = NULL;
    return watch(EPOLL_CTL_MOD, client->fd, EPOLLIN, client);
}

/* Keeps the part of an echo the socket would not take, and waits for
 * room instead of data until it is written: that is the bound. */
static int keep_pending(struct client *client, const char *rest, size_t length)
{
    client->pending = malloc(length);
    if (client->pending == NULL) {
        fprintf(stderr, "TCPEchod: out of memory: client dropped\n");
        return -1;
    }
    memcpy(client->pending, rest, length);
    client->pending_start = 0;
    client->pending_end = length;
    return watch(EPOLL_CTL_MOD, client->fd, EPOLLOUT, client);
}

/* Reads what the client sent and echoes it at once.  Returns -1 when the
 * client is done (end-of-file) or gone (an error). */
static int echo_what_arrived(struct client *client)
{
    static char buf[BUFSIZE];
    ssize_t got = read(client->fd, buf, sizeof buf);
    ssize_t sent;

    if (got == 0)
        return -1;                      /* the client closed its side */
    if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        fprintf(stderr, "TCPEchod: read: %s\n", strerror(errno));
        return -1;
    }
    sent = write(client->fd, buf, (size_t) got);
    if (sent < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            fprintf(stderr, "TCPEchod: write: %s\n", strerror(errno));
            return -1;
        }
        sent = 0;
    }
    if (sent == got)
        return 0;
    return keep_pending(client, buf + sent, (size_t) (got - sent));
}

/* EPOLLHUP and EPOLLERR come without being asked for: the read or write
 * then fails and says why. */
static void serve_client(struct client *client)
{
    int status;

    if (client->pending != NULL)
        status = write_pending(client);
    else
        status = echo_what_arrived(client);
    if (status < 0)
        drop_client(client);
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
    fprintf(out, "usage: TCPEchod-epoll [port]\n"
            "Echo server: one process, every client, with epoll (Linux).\n"
            "Default port: $LAB_PORT if set, else 8000 + uid %% 1000"
            " (here: %s).\n", port);
    exit(status);
}

int main(int argc, char *argv[])
{
    static struct epoll_event ready[MAX_EVENTS];
    const char *port = default_port();

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, port, EXIT_SUCCESS);
    if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
        usage(stderr, port, EXIT_FAILURE);
    if (argc == 2)
        port = argv[1];

    listen_fd = passiveTCP(port, QLEN);
    set_nonblocking(listen_fd);         /* see TCPEchod.c */
    ignore_sigpipe();
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0)
        errexit("TCPEchod: epoll_create1: %s\n", strerror(errno));
    if (watch(EPOLL_CTL_ADD, listen_fd, EPOLLIN, NULL) < 0)
        exit(EXIT_FAILURE);
    fprintf(stderr, "TCPEchod: listening on port %s\n", port);

    for (;;) {
        int count = epoll_wait(epoll_fd, ready, MAX_EVENTS, accepting ? -1 : PAUSE_MS);
        int k;

        if (count < 0) {
            if (errno == EINTR)
                continue;
            errexit("TCPEchod: epoll_wait: %s\n", strerror(errno));
        }
        if (count == 0 && watch(EPOLL_CTL_MOD, listen_fd, EPOLLIN, NULL) == 0)
            accepting = 1;              /* the pause is over */
        for (k = 0; k < count; k++) {
            if (ready[k].data.ptr == NULL)
                accept_clients();
            else
                serve_client(ready[k].data.ptr);
        }
    }
}
