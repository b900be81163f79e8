/* TCPReset.c - a client that resets its connection mid-transfer (psockets2).
 *
 * Usage: TCPReset [-n N] host [port]
 *
 * Provokes the fault of labs/04-sigpipe: a server child that writes to a
 * connection the client has reset.  With SIGPIPE left at its default the
 * child dies of it, silently; a server that ignores or catches SIGPIPE sees
 * write() fail with EPIPE and can report it.
 *
 * Why the careful timing (Linux): an RST that arrives while the connection
 * is open makes the child's next write fail with ECONNRESET, and no signal
 * is raised.  Only an RST that arrives after our FIN (the server's side in
 * CLOSE_WAIT) makes it fail with EPIPE and raise SIGPIPE.  Data already
 * queued for the child survives the RST.  So each of the N times
 * (default 1) this client
 *   1. sends data without reading the echo, until the server stops taking
 *      it: the child is now stuck in write() with our data still queued;
 *   2. sends FIN (shutdown) and reads a little echo, just enough to let
 *      the FIN through; the server's side is now in CLOSE_WAIT;
 *   3. closes with SO_LINGER {1, 0}: the kernel sends RST, not FIN.
 * The child then reads more of our data, writes it back, and that write
 * gets EPIPE (and SIGPIPE).  Each reset takes about a third of a second:
 * step 1 waits STALL_MS to be sure the server has stopped taking data.
 *
 * Try it:  ./TCPReset -n 5 localhost 8080     (with a lab 04 server running)
 */
#ifdef __linux__
#define _DEFAULT_SOURCE         /* struct tcp_info, Linux only: see below */
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "psockets.h"

#define CHUNK 4096
#define STALL_MS 100            /* no room for this long: the server is stuck */
#define FILL_SECONDS 5          /* bounds step 1 against a slow reader */
#define MAX_FILL (64UL << 20)   /* bounds step 1 against a server that never
                                   echoes (64 MiB) */
#define FIN_WAIT_MS 2000        /* bounds step 2 */

static void usage(FILE *out, int status)
{
    fprintf(out, "usage: TCPReset [-n N] host [port]\n"
            "N times (default 1, at most 1000): connect, send data, and reset"
            " the connection\nwhile the server is still echoing (SO_LINGER"
            " {1, 0}).\n"
            "Default port: $LAB_PORT if set, else 8000 + uid %% 1000"
            " (here: %s).\n", default_port());
    exit(status);
}

static double seconds_now(void)
{
    struct timespec now;

    if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
        errexit("TCPReset: clock_gettime: %s\n", strerror(errno));
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

/* Small buffers on our side: little of the echo fits in ours, and little
 * of our data waits in ours, so step 2 has little to move. */
static void shrink_buffers(int fd)
{
    int size = CHUNK;

    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size) < 0)
        errexit("TCPReset: setsockopt SO_SNDBUF: %s\n", strerror(errno));
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) < 0)
        errexit("TCPReset: setsockopt SO_RCVBUF: %s\n", strerror(errno));
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
        errexit("TCPReset: fcntl O_NONBLOCK: %s\n", strerror(errno));
}

/* Until the first echo arrives, the server may still be starting the
 * child (fork takes a while on a busy machine): no room then means that
 * no one is reading yet, not that the child is stuck. */
static int echo_has_arrived(int fd)
{
    struct pollfd pfd = { fd, POLLIN, 0 };
    int ready = poll(&pfd, 1, 0);

    if (ready < 0 && errno != EINTR)
        errexit("TCPReset: poll: %s\n", strerror(errno));
    return ready > 0;
}

/* Step 1: we never read, so the echo fills our receive buffer, then the
 * server's send buffer; the child blocks in write() and stops reading, and
 * our data piles up in its receive buffer until no more fits.  Returns 0,
 * or -1 with errno set if the connection broke. */
static int send_until_server_stalls(int fd)
{
    static const char line[] = "TCPReset: this connection will be reset\n";
    char data[CHUNK];
    unsigned long sent = 0;
    double give_up = seconds_now() + FILL_SECONDS;
    size_t i;

    for (i = 0; i < sizeof data; i++)
        data[i] = line[i % (sizeof line - 1)];

    while (sent < MAX_FILL && seconds_now() < give_up) {
        struct pollfd pfd = { fd, POLLOUT, 0 };
        int ready = poll(&pfd, 1, STALL_MS);
        ssize_t written;

        if (ready < 0 && errno != EINTR)
            errexit("TCPReset: poll: %s\n", strerror(errno));
        if (ready == 0 && echo_has_arrived(fd))
            return 0;           /* no room for STALL_MS: stalled */
        if (ready <= 0)
            continue;           /* interrupted, or no child reading yet */
        written = write(fd, data, sizeof data);
        if (written < 0 && errno != EAGAIN && errno != EWOULDBLOCK
            && errno != EINTR)
            return -1;
        if (written > 0)
            sent += (unsigned long) written;
    }
    return 0;
}

/* Has the server acknowledged our FIN?  Only Linux lets us ask (TCP_INFO):
 * our side then moves on from FIN_WAIT1 (to FIN_WAIT2).  Elsewhere we
 * cannot tell, and step 2 reads just one piece of echo. */
static int fin_acknowledged(int fd)
{
#ifdef __linux__
    struct tcp_info info;
    socklen_t len = sizeof info;

    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
        errexit("TCPReset: getsockopt TCP_INFO: %s\n", strerror(errno));
    return info.tcpi_state != TCP_ESTABLISHED
        && info.tcpi_state != TCP_FIN_WAIT1;
#else
    (void) fd;
    return 1;
#endif
}

/* Step 2: the server's receive buffer is full, so our FIN waits behind
 * data it has no room for.  Each piece of echo we read lets the child
 * write a piece and read a piece more, making room, until the FIN is in:
 * the server's side is in CLOSE_WAIT, the child blocked in write() again
 * with our data still queued.  Returns 0, or -1 with errno set. */
static int send_fin_through(int fd)
{
    char echo[CHUNK];           /* small reads: free only what is needed */
    int waited_ms;

    if (shutdown(fd, SHUT_WR) < 0)
        return -1;
    for (waited_ms = 0; waited_ms < FIN_WAIT_MS; waited_ms += 10) {
        struct pollfd pfd = { fd, POLLIN, 0 };

        if (poll(&pfd, 1, 10) > 0 && read(fd, echo, sizeof echo) == 0)
            break;              /* the server has finished already */
        if (fin_acknowledged(fd))
            break;
    }
    return 0;
}

/* Step 3: a linger time of zero makes close() abort the connection: the
 * kernel drops what is queued and sends RST instead of FIN. */
static void reset_connection(int fd)
{
    struct linger abort_on_close = { 1, 0 };

    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close,
                   sizeof abort_on_close) < 0)
        errexit("TCPReset: setsockopt SO_LINGER: %s\n", strerror(errno));
    if (close(fd) < 0)
        errexit("TCPReset: close: %s\n", strerror(errno));
}

/* Returns 1 if the reset was sent, 0 if the server broke the connection
 * first (it is reported). */
static int connect_and_reset(const char *host, const char *port)
{
    int fd = connectTCP(host, port);

    shrink_buffers(fd);
    if (send_until_server_stalls(fd) < 0 || send_fin_through(fd) < 0) {
        fprintf(stderr, "TCPReset: the server broke the connection first:"
                " %s\n", strerror(errno));
        close(fd);
        return 0;
    }
    reset_connection(fd);
    return 1;
}

int main(int argc, char *argv[])
{
    const char *port = default_port();
    int count = 1;
    int resets_sent = 0;
    int option;
    int i;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, EXIT_SUCCESS);
    while ((option = getopt(argc, argv, "n:")) != -1) {
        if (option == 'n')
            count = number_in_range("TCPReset", "count", optarg, 1000);
        else
            usage(stderr, EXIT_FAILURE);
    }
    if (argc - optind < 1 || argc - optind > 2)
        usage(stderr, EXIT_FAILURE);
    if (argc - optind == 2)
        port = argv[optind + 1];

    /* A server that closes first must give a message, not kill us. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        errexit("TCPReset: signal SIGPIPE: %s\n", strerror(errno));

    for (i = 0; i < count; i++)
        resets_sent += connect_and_reset(argv[optind], port);

    if (resets_sent < count)
        errexit("TCPReset: sent %d of %d resets\n", resets_sent, count);
    printf("TCPReset: sent %d resets\n", resets_sent);
    return EXIT_SUCCESS;
}
