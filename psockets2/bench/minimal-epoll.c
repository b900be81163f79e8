/* minimal-epoll.c - the yardstick for an event-driven server (make bench).
 *
 * Usage: minimal-epoll port
 * One thread, one epoll set (Linux), every socket non-blocking and
 * level-triggered.  A connection reads up to 64 KiB and writes it back;
 * what the socket will not take yet waits in that connection's own
 * buffer, and the connection is read again only once it has all gone.
 */
#define _GNU_SOURCE             /* accept4: accept and O_NONBLOCK in one call */

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>

#include "minimal.h"

#define MAX_EVENTS 256

/* One client: the bytes read but not yet written back. */
struct connection {
    int fd;
    size_t pending_from, pending_to;
    char pending[MINIMAL_BUFSIZE];
};

static int epoll_fd;

static void watch(int op, struct connection *conn, unsigned events)
{
    struct epoll_event event;

    memset(&event, 0, sizeof event);
    event.events = events;
    event.data.ptr = conn;
    if (epoll_ctl(epoll_fd, op, conn->fd, &event) < 0)
        errexit("minimal: epoll_ctl: %s\n", strerror(errno));
}

static void drop(struct connection *conn)
{
    close(conn->fd);            /* also takes it out of the epoll set */
    free(conn);
}

/* Writes what is pending.  Returns 0 when all is gone, 1 when the socket
 * is full, -1 when the client is gone. */
static int flush_pending(struct connection *conn)
{
    while (conn->pending_from < conn->pending_to) {
        ssize_t written = write(conn->fd, conn->pending + conn->pending_from,
                                conn->pending_to - conn->pending_from);

        if (written < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -1;
        conn->pending_from += (size_t) written;
    }
    return 0;
}

/* The socket is readable (or writable again): echo what we can. */
static void serve(struct connection *conn, unsigned events)
{
    int state = flush_pending(conn);
    ssize_t got;

    if (state < 0) {
        drop(conn);
        return;
    }
    if (state > 0)
        return;                 /* still full: EPOLLOUT will call again */
    if (events & EPOLLOUT)
        watch(EPOLL_CTL_MOD, conn, EPOLLIN);
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0)
        return;
    got = read(conn->fd, conn->pending, sizeof conn->pending);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (got <= 0) {
        drop(conn);             /* end-of-file or error: done */
        return;
    }
    conn->pending_from = 0;
    conn->pending_to = (size_t) got;
    state = flush_pending(conn);
    if (state < 0)
        drop(conn);
    else if (state > 0)
        watch(EPOLL_CTL_MOD, conn, EPOLLOUT);
}

/* Takes every connection waiting in the backlog. */
static void accept_all(int listen_fd)
{
    for (;;) {
        struct connection *conn;
        int conn_fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);

        if (conn_fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR
                && errno != ECONNABORTED)
                fprintf(stderr, "minimal: accept4: %s\n", strerror(errno));
            return;
        }
        conn = malloc(sizeof *conn);
        if (conn == NULL) {
            fprintf(stderr, "minimal: malloc: %s\n", strerror(errno));
            close(conn_fd);
            continue;
        }
        conn->fd = conn_fd;
        conn->pending_from = conn->pending_to = 0;
        watch(EPOLL_CTL_ADD, conn, EPOLLIN);
    }
}

int main(int argc, char *argv[])
{
    static struct connection listener;
    struct epoll_event events[MAX_EVENTS];
    int listen_fd = passiveTCP(port_argument(argc, argv), MINIMAL_QLEN);

    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        errexit("minimal: signal SIGPIPE: %s\n", strerror(errno));
    if (fcntl(listen_fd, F_SETFL, O_NONBLOCK) < 0)
        errexit("minimal: fcntl O_NONBLOCK: %s\n", strerror(errno));
    epoll_fd = epoll_create1(0);
    if (epoll_fd < 0)
        errexit("minimal: epoll_create1: %s\n", strerror(errno));
    listener.fd = listen_fd;
    watch(EPOLL_CTL_ADD, &listener, EPOLLIN);
    for (;;) {
        int ready = epoll_wait(epoll_fd, events, MAX_EVENTS, -1);
        int i;

        if (ready < 0 && errno != EINTR)
            errexit("minimal: epoll_wait: %s\n", strerror(errno));
        for (i = 0; i < ready; i++) {
            if (events[i].data.ptr == &listener)
                accept_all(listen_fd);
            else
                serve(events[i].data.ptr, events[i].events);
        }
    }
}
