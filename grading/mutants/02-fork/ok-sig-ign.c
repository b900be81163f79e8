/* TCPEchod.c - grader mutant, stage 02: CORRECT, written differently.
 *
 * A fork-per-client echo server using only POSIX calls (no psockets2).
 * Instead of a SIGCHLD handler it sets SIGCHLD to SIG_IGN, which tells the
 * kernel to reap exited children itself (POSIX.1-2001): no zombies.  It
 * must score full marks.
 * Usage: TCPEchod PORT
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
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
        listen(fd, 64) < 0) {
        perror("bind/listen");
        exit(EXIT_FAILURE);
    }
    return fd;
}

static int echo_until_eof(int conn_fd)
{
    char buf[4096];
    ssize_t got;

    while ((got = read(conn_fd, buf, sizeof buf)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            perror("read");
            return EXIT_FAILURE;
        }
        for (ssize_t sent = 0, n; sent < got; sent += n) {
            n = write(conn_fd, buf + sent, (size_t) (got - sent));
            if (n < 0) {
                perror("write");
                return EXIT_FAILURE;
            }
        }
    }
    return EXIT_SUCCESS;
}

static void serve_in_child(int listen_fd, int conn_fd)
{
    pid_t pid = fork();

    if (pid < 0) {
        perror("fork");
    } else if (pid == 0) {
        close(listen_fd);
        _exit(echo_until_eof(conn_fd));
    }
    close(conn_fd);
}

int main(int argc, char *argv[])
{
    int listen_fd;

    if (argc != 2) {
        fprintf(stderr, "usage: TCPEchod PORT\n");
        return EXIT_FAILURE;
    }
    listen_fd = listen_on(argv[1]);
    if (signal(SIGCHLD, SIG_IGN) == SIG_ERR) {
        perror("signal");
        return EXIT_FAILURE;
    }
    for (;;) {
        int conn_fd = accept(listen_fd, NULL, NULL);

        if (conn_fd < 0) {
            if (errno != EINTR)
                perror("accept");
            continue;
        }
        serve_in_child(listen_fd, conn_fd);
    }
}
