/* TCPFlood.c - a client that sends and never reads (psockets2).
 *
 * Usage: TCPFlood [-m MiB] [-s seconds] host [port]
 *
 * Provokes the fault of labs/10-events: a client that sends a lot and
 * never reads its echo.  The echo fills our (small) receive buffer, then
 * the server's send buffer; from then on, a server that writes with
 * blocking calls is stuck in write() and serves nobody else, and one
 * that keeps every byte it could not write grows without bound.  A good
 * server stops reading from us: TCP's flow control then stops us too.
 *
 * It sends -m MiB (default 16, at most 1024) without reading a byte, for
 * at most -s seconds (default 10, at most 3600), and keeps the connection
 * open, still not reading, until those seconds are over or SIGTERM or
 * SIGINT (Ctrl-C) comes.  Then it prints how much the server took:
 *     TCPFlood: sent 5242880 of 16777216 bytes in 10 s, read none
 * and closes.  Exits 0, or 1 if the connection broke (the message says how).
 *
 * Try it:  ./TCPFlood -m 16 -s 30 localhost 8080     (with a lab 10 server)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>

#include "psockets.h"

#define CHUNK 65536
#define RECEIVE_BUFFER 4096     /* little of the echo fits on our side */

static volatile sig_atomic_t asked_to_stop;

static void note_stop_request(int signo)
{
    (void) signo;
    asked_to_stop = 1;          /* poll() returns with EINTR: main notices */
}

static void usage(FILE *out, int status)
{
    fprintf(out, "usage: TCPFlood [-m MiB] [-s seconds] host [port]\n"
            "Sends MiB mebibytes (default 16, at most 1024) and never reads"
            " the echo; holds\nthe connection open for -s seconds (default"
            " 10, at most 3600), or until\nSIGTERM/SIGINT, then says how much"
            " the server took.\n"
            "Default port: $LAB_PORT if set, else 8000 + uid %% 1000"
            " (here: %s).\n", default_port());
    exit(status);
}

static void install_stop_handlers(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = note_stop_request;
    action.sa_flags = 0;        /* no SA_RESTART: poll() must return */
    if (sigaction(SIGTERM, &action, NULL) < 0)
        errexit("TCPFlood: sigaction SIGTERM: %s\n", strerror(errno));
    if (sigaction(SIGINT, &action, NULL) < 0)
        errexit("TCPFlood: sigaction SIGINT: %s\n", strerror(errno));
    /* A server that resets us must give a message, not kill us. */
    action.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &action, NULL) < 0)
        errexit("TCPFlood: sigaction SIGPIPE: %s\n", strerror(errno));
}

static double seconds_now(void)
{
    struct timespec now;

    if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
        errexit("TCPFlood: clock_gettime: %s\n", strerror(errno));
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

/* A small receive buffer: the echo we never read piles up on the
 * server's side, not in our kernel.  Non-blocking: we must notice the
 * time and SIGTERM while the server takes nothing. */
static void prepare_socket(int fd)
{
    int size = RECEIVE_BUFFER;

    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) < 0)
        errexit("TCPFlood: setsockopt SO_RCVBUF: %s\n", strerror(errno));
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
        errexit("TCPFlood: fcntl O_NONBLOCK: %s\n", strerror(errno));
}

/* Sends up to total bytes until the deadline; then waits for it, never
 * reading.  Returns what was sent. */
static unsigned long flood_until(int fd, unsigned long total, double deadline)
{
    static char data[CHUNK];
    unsigned long sent = 0;
    double now;

    memset(data, 'x', sizeof data);
    while (!asked_to_stop && (now = seconds_now()) < deadline) {
        /* Once all is sent, wait for nothing but the time or a signal. */
        struct pollfd pfd = { fd, sent < total ? POLLOUT : 0, 0 };
        int ready = poll(&pfd, 1, (int) ((deadline - now) * 1000) + 1);
        size_t size = total - sent < CHUNK ? total - sent : CHUNK;
        ssize_t written;

        if (ready < 0 && errno != EINTR)
            errexit("TCPFlood: poll: %s\n", strerror(errno));
        if (ready <= 0 || sent == total)
            continue;
        written = write(fd, data, size);
        if (written < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            errexit("TCPFlood: write after %lu bytes: %s\n", sent, strerror(errno));
        if (written > 0)
            sent += (unsigned long) written;
    }
    return sent;
}

int main(int argc, char *argv[])
{
    const char *port = default_port();
    int mebibytes = 16;
    int seconds = 10;
    double started;
    unsigned long sent;
    int option;
    int fd;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, EXIT_SUCCESS);
    while ((option = getopt(argc, argv, "m:s:")) != -1) {
        if (option == 'm')
            mebibytes = number_in_range("TCPFlood", "size", optarg, 1024);
        else if (option == 's')
            seconds = number_in_range("TCPFlood", "time", optarg, 3600);
        else
            usage(stderr, EXIT_FAILURE);
    }
    if (argc - optind < 1 || argc - optind > 2)
        usage(stderr, EXIT_FAILURE);
    if (argc - optind == 2)
        port = argv[optind + 1];

    install_stop_handlers();
    fd = connectTCP(argv[optind], port);
    prepare_socket(fd);
    started = seconds_now();
    sent = flood_until(fd, (unsigned long) mebibytes << 20, started + seconds);
    printf("TCPFlood: sent %lu of %lu bytes in %.0f s, read none\n", sent,
           (unsigned long) mebibytes << 20, seconds_now() - started);
    if (close(fd) < 0)
        errexit("TCPFlood: close: %s\n", strerror(errno));
    return EXIT_SUCCESS;
}
