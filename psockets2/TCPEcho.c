/* TCPEcho.c - the echo client (psockets2).
 *
 * Usage: TCPEcho [-t seconds] host [port]
 *
 * Sends standard input to an echo server and copies what comes back to
 * standard output.  It streams input of any size, binary included:
 *   - poll() watches standard input and the socket together, and the socket
 *     is non-blocking, so we never sit in a write to the server while the
 *     server sits in a write to us (a deadlock once both buffers fill);
 *   - at end of input, shutdown(SHUT_WR) sends FIN: the server sees
 *     end-of-file, while our side stays open for the rest of the echo.
 * Exits 0 once every byte sent has come back.  If bytes are outstanding and
 * nothing arrives for -t seconds (default 10), it gives up: a server that
 * never answers is an error, not a hang.
 *
 * Try it:  echo hello | ./TCPEcho localhost      (with TCPEchod running)
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

#define BUFSIZE 65536

struct transfer {
    int sock_fd;
    char pending[BUFSIZE];      /* read from stdin, not yet sent */
    size_t pending_start;
    size_t pending_len;
    int input_done;             /* end of stdin reached */
    int sent_fin;               /* shutdown(SHUT_WR) done */
    int server_closed;          /* end-of-file from the server */
    unsigned long long sent;
    unsigned long long received;
};

static void usage(FILE *out, int status)
{
    fprintf(out, "usage: TCPEcho [-t seconds] host [port]\n"
            "Sends standard input to an echo server, prints the echo.\n"
            "Default port: $LAB_PORT if set, else 8000 + uid %% 1000"
            " (here: %s).\n"
            "-t: give up when an echo is outstanding and nothing arrives"
            " for this long (default 10).\n", default_port());
    exit(status);
}

static void read_input(struct transfer *t)
{
    ssize_t got = read(STDIN_FILENO, t->pending, sizeof t->pending);

    if (got < 0 && errno != EINTR)
        errexit("TCPEcho: read standard input: %s\n", strerror(errno));
    if (got == 0)
        t->input_done = 1;
    if (got > 0) {
        t->pending_start = 0;
        t->pending_len = (size_t) got;
    }
}

static void send_pending(struct transfer *t)
{
    ssize_t written = write(t->sock_fd, t->pending + t->pending_start,
                            t->pending_len);

    if (written < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;             /* the socket buffer is full: poll again */
        errexit("TCPEcho: write to server: %s (%llu bytes sent,"
                " %llu echoed)\n", strerror(errno), t->sent, t->received);
    }
    t->pending_start += (size_t) written;
    t->pending_len -= (size_t) written;
    t->sent += (unsigned long long) written;
}

static void receive_echo(struct transfer *t)
{
    char buf[BUFSIZE];
    ssize_t got = read(t->sock_fd, buf, sizeof buf);

    if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        errexit("TCPEcho: read from server: %s (%llu bytes sent,"
                " %llu echoed)\n", strerror(errno), t->sent, t->received);
    }
    if (got == 0) {
        t->server_closed = 1;
        return;
    }
    if (writen(STDOUT_FILENO, buf, (size_t) got) < 0)
        errexit("TCPEcho: write standard output: %s\n", strerror(errno));
    t->received += (unsigned long long) got;
}

/* Once all input is sent, tell the server: it will see end-of-file. */
static void finish_sending(struct transfer *t)
{
    if (t->input_done && t->pending_len == 0 && !t->sent_fin) {
        if (shutdown(t->sock_fd, SHUT_WR) < 0)
            errexit("TCPEcho: shutdown: %s\n", strerror(errno));
        t->sent_fin = 1;
    }
}

/* Done when the server has closed, or when everything we sent is back:
 * we do not wait for the server's FIN, so a server that forgets to close
 * is caught by the tests that look for it, not by every echo test. */
static int transfer_done(const struct transfer *t)
{
    return t->server_closed || (t->sent_fin && t->received == t->sent);
}

static void run_transfer(struct transfer *t, int timeout_seconds)
{
    while (!transfer_done(t)) {
        struct pollfd fds[2];
        int waiting_for_echo = t->received < t->sent || t->pending_len > 0;
        int ready;

        fds[0].fd = t->sock_fd;
        fds[0].events = POLLIN | (t->pending_len > 0 ? POLLOUT : 0);
        fds[1].fd = STDIN_FILENO;
        /* Read more input only when the last chunk is fully sent. */
        fds[1].events = (t->input_done || t->pending_len > 0) ? 0 : POLLIN;
        fds[1].revents = 0;

        ready = poll(fds, fds[1].events ? 2 : 1,
                     waiting_for_echo ? timeout_seconds * 1000 : -1);
        if (ready < 0 && errno != EINTR)
            errexit("TCPEcho: poll: %s\n", strerror(errno));
        if (ready == 0)
            errexit("TCPEcho: no reply from server for %d s (%llu bytes"
                    " sent, %llu echoed)\n", timeout_seconds, t->sent,
                    t->received);
        if (ready <= 0)
            continue;

        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
            read_input(t);
        if (fds[0].revents & POLLOUT)
            send_pending(t);
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
            receive_echo(t);
        finish_sending(t);
    }
}

int main(int argc, char *argv[])
{
    static struct transfer t;   /* static: the buffer is large */
    int timeout_seconds = 10;
    const char *host;
    const char *port = default_port();
    int first = 1;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, EXIT_SUCCESS);
    if (argc > 2 && strcmp(argv[1], "-t") == 0) {
        timeout_seconds = number_in_range("TCPEcho", "timeout", argv[2], 86400);
        first = 3;
    }
    if (argc - first < 1 || argc - first > 2 || argv[first][0] == '-')
        usage(stderr, EXIT_FAILURE);
    host = argv[first];
    if (argc - first == 2)
        port = argv[first + 1];

    /* A server that closes early must give an error message, not kill us
     * silently with SIGPIPE. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        errexit("TCPEcho: signal SIGPIPE: %s\n", strerror(errno));

    t.sock_fd = connectTCP(host, port);
    if (fcntl(t.sock_fd, F_SETFL, O_NONBLOCK) < 0)
        errexit("TCPEcho: fcntl O_NONBLOCK: %s\n", strerror(errno));

    run_transfer(&t, timeout_seconds);

    if (!t.input_done || t.received != t.sent)
        errexit("TCPEcho: short echo: server closed the connection after"
                " echoing %llu of %llu bytes sent%s\n", t.received, t.sent,
                t.input_done ? "" : " (input not finished)");
    close(t.sock_fd);
    return EXIT_SUCCESS;
}
