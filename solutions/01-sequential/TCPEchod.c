/* TCPEchod.c - stage 01: a sequential echo server (labs/01-sequential).
 *
 * Usage: ./TCPEchod [port]     (default: $LAB_PORT, else 8000 + uid % 1000)
 *
 * One client at a time: accept a connection, echo every byte back until the
 * client closes, close our side, and only then accept the next client.  A
 * second client meanwhile completes its handshake (the kernel does that and
 * queues it), but nobody reads from it until the first one leaves.
 * The listening socket is built by hand, so you meet SO_REUSEADDR and the
 * IPv6 dual-stack listener; from stage 02 on, passiveTCP() does the same.
 * Try it:  ./TCPEchod 8080 &   then   echo hello | ../../psockets2/TCPEcho localhost 8080
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "psockets.h"

#define QLEN 32                 /* backlog of connections not yet accepted */
#define BUFSIZE 65536           /* one read takes all a fast client has sent */

/* Turns "8080" into a port number, or exits with a message. */
static in_port_t parse_port(const char *text)
{
    char *end;
    long port;

    errno = 0;
    port = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || port < 1 || port > 65535)
        errexit("TCPEchod: bad port \"%s\": give a number from 1 to 65535\n",
                text);
    return (in_port_t) port;
}

/* Returns a socket listening on port, on every local address: one IPv6
 * socket that also takes IPv4 clients (they appear as ::ffff:127.0.0.1). */
static int open_listener(in_port_t port)
{
    struct sockaddr_in6 address;
    int on = 1;
    int off = 0;
    int listen_fd = socket(AF_INET6, SOCK_STREAM, 0);

    if (listen_fd < 0)
        errexit("TCPEchod: socket: %s\n", strerror(errno));

    /* Without this, bind fails with "Address already in use" while a
     * connection from our previous run still holds the port (TIME_WAIT). */
    if (setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
        errexit("TCPEchod: setsockopt SO_REUSEADDR: %s\n", strerror(errno));

    /* Linux makes IPv6 sockets dual-stack by default, the BSDs do not:
     * ask for it, so 127.0.0.1 reaches us everywhere. */
    if (setsockopt(listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0)
        errexit("TCPEchod: setsockopt IPV6_V6ONLY: %s\n", strerror(errno));

    memset(&address, 0, sizeof address);
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_any;    /* every local address */
    address.sin6_port = htons(port);    /* ports travel in network byte order */
    if (bind(listen_fd, (struct sockaddr *) &address, sizeof address) < 0)
        errexit("TCPEchod: bind to port %u: %s\n", (unsigned) port,
                strerror(errno));
    if (listen(listen_fd, QLEN) < 0)
        errexit("TCPEchod: listen: %s\n", strerror(errno));
    return listen_fd;
}

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

    listen_fd = open_listener(parse_port(port));
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
        echo_until_eof(conn_fd);        /* errors are reported inside */
        /* Our FIN: the client sees end-of-file, and our socket does not
         * linger in CLOSE_WAIT. */
        if (close(conn_fd) < 0)
            fprintf(stderr, "TCPEchod: close: %s\n", strerror(errno));
    }
}
