/* TCPEchod.c - grader mutant, stage 05: CORRECT, written differently.
 *
 * A thread-per-client echo server using only POSIX calls (no psockets2).
 * Each thread gets its descriptor as a value carried in the pointer
 * argument (no malloc), and creates itself detached through an attribute.
 * It must score full marks.
 * Usage: TCPEchod PORT          (link with -pthread)
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
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

static void echo_until_eof(int conn_fd)
{
    char buf[4096];
    ssize_t got;

    while ((got = read(conn_fd, buf, sizeof buf)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            perror("read");
            return;
        }
        for (ssize_t sent = 0, n; sent < got; sent += n) {
            n = write(conn_fd, buf + sent, (size_t) (got - sent));
            if (n < 0) {
                perror("write");
                return;
            }
        }
    }
}

static void *serve_client(void *arg)
{
    int conn_fd = (int) (intptr_t) arg;

    echo_until_eof(conn_fd);
    close(conn_fd);
    return NULL;
}

static void start_client_thread(const pthread_attr_t *detached, int conn_fd)
{
    pthread_t thread;
    int error = pthread_create(&thread, detached, serve_client,
                               (void *) (intptr_t) conn_fd);

    if (error != 0) {
        fprintf(stderr, "pthread_create: %s\n", strerror(error));
        close(conn_fd);
    }
}

int main(int argc, char *argv[])
{
    pthread_attr_t detached;
    int listen_fd;

    if (argc != 2) {
        fprintf(stderr, "usage: TCPEchod PORT\n");
        return EXIT_FAILURE;
    }
    listen_fd = listen_on(argv[1]);
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        perror("signal");
        return EXIT_FAILURE;
    }
    pthread_attr_init(&detached);
    pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
    for (;;) {
        int conn_fd = accept(listen_fd, NULL, NULL);

        if (conn_fd < 0) {
            if (errno != EINTR)
                perror("accept");
            continue;
        }
        start_client_thread(&detached, conn_fd);
    }
}
