/* TCPEchod.c - grader mutant, stage 03: CORRECT, written differently.
 *
 * A fork-per-client echo server using only POSIX calls (no psockets2).
 * Its SIGCHLD handler reaps in a WNOHANG loop, installed WITHOUT
 * SA_RESTART: the accept loop retries accept() itself when it fails with
 * EINTR.  It must score full marks.
 * Usage: TCPEchod PORT
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

/* SIGCHLD is not queued: reap every child that has exited. */
static void reap_children(int signo)
{
    int saved_errno = errno;

    (void) signo;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        continue;
    errno = saved_errno;
}

static void install_reaper(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = reap_children;
    action.sa_flags = 0;        /* no SA_RESTART: accept() fails with EINTR */
    if (sigaction(SIGCHLD, &action, NULL) < 0) {
        perror("sigaction");
        exit(EXIT_FAILURE);
    }
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
    install_reaper();
    for (;;) {
        int conn_fd = accept(listen_fd, NULL, NULL);

        if (conn_fd < 0) {
            if (errno == EINTR)
                continue;   /* the reaper ran: try again */
            perror("accept");
            continue;
        }
        serve_in_child(listen_fd, conn_fd);
    }
}
