/* TCPEchod.c - grader mutant, stage 01: CORRECT, written differently.
 *
 * A sequential echo server using only POSIX calls (no psockets2), with
 * recv()/send() instead of read()/write().  It must score full marks:
 * the grader tests behaviour, not the calls used.
 * Usage: TCPEchod PORT
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int listen_on(const char *port_text)
{
    struct sockaddr_in6 address;
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    int on = 1, off = 0;

    if (fd < 0) {
        perror("socket");
        exit(EXIT_FAILURE);
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0) {
        perror("setsockopt");
        exit(EXIT_FAILURE);
    }
    memset(&address, 0, sizeof address);
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_any;
    address.sin6_port = htons((unsigned short) atoi(port_text));
    if (bind(fd, (struct sockaddr *) &address, sizeof address) < 0 ||
        listen(fd, 32) < 0) {
        perror("bind/listen");
        exit(EXIT_FAILURE);
    }
    return fd;
}

static void echo_until_eof(int conn_fd)
{
    char buf[4096];
    ssize_t got;

    while ((got = recv(conn_fd, buf, sizeof buf, 0)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            perror("recv");
            return;
        }
        for (ssize_t sent = 0, n; sent < got; sent += n) {
            n = send(conn_fd, buf + sent, (size_t) (got - sent), 0);
            if (n < 0) {
                perror("send");
                return;
            }
        }
    }
}

int main(int argc, char *argv[])
{
    int listen_fd;

    if (argc != 2) {
        fprintf(stderr, "usage: TCPEchod PORT\n");
        return EXIT_FAILURE;
    }
    listen_fd = listen_on(argv[1]);
    for (;;) {
        int conn_fd = accept(listen_fd, NULL, NULL);

        if (conn_fd < 0) {
            perror("accept");
            continue;
        }
        echo_until_eof(conn_fd);
        close(conn_fd);
    }
}
