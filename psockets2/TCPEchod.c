/* TCPEchod.c - the finished concurrent echo server (psockets2).
 *
 * Usage: TCPEchod [port]          (default: $LAB_PORT, else 8000 + uid % 1000)
 *
 * One process per client: the parent loops on accept() and fork()s a child
 * that echoes every byte back until the client closes.  This is where the
 * labs lead (labs/01-sequential .. labs/04-sigpipe); each fix below is one
 * of their lessons:
 *   - parent and child close the descriptors they do not need    (lab 02)
 *   - a SIGCHLD handler reaps every exited child: no zombies       (lab 03)
 *   - accept() interrupted by that handler (EINTR) is retried      (lab 03)
 *   - SIGPIPE is ignored, so a vanished client is an EPIPE error   (lab 04)
 *     in one child, not a silent death
 *   - a SOMAXCONN backlog: a burst of clients waits in the queue   (lab 06)
 *     instead of being dropped and retried a second later
 * Try it:  ./TCPEchod 8080 &   then   echo hello | ./TCPEcho localhost 8080
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/wait.h>

#include "psockets.h"

#define QLEN SOMAXCONN          /* backlog: as many as the system allows (lab 06) */
#define BUFSIZE 65536           /* one read takes all a fast client has sent */

/* SIGCHLD is not queued: one signal may stand for many exited children,
 * so reap until none is left.  WNOHANG keeps the handler from blocking on
 * children that are still serving clients. */
static void reap_children(int signo)
{
    int saved_errno = errno;    /* waitpid may change errno under main() */

    (void) signo;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        continue;
    errno = saved_errno;
}

static void install_handlers(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = reap_children;
    action.sa_flags = SA_RESTART;   /* most interrupted calls resume */
    if (sigaction(SIGCHLD, &action, NULL) < 0)
        errexit("sigaction SIGCHLD: %s\n", strerror(errno));

    /* A write to a client that has gone raises SIGPIPE, which kills by
     * default.  Ignored, the write fails with EPIPE and we report it. */
    action.sa_handler = SIG_IGN;
    action.sa_flags = 0;
    if (sigaction(SIGPIPE, &action, NULL) < 0)
        errexit("sigaction SIGPIPE: %s\n", strerror(errno));
}

/* Copies everything the client sends back to it, until end-of-file.
 * Returns the exit status for the child. */
static int echo_until_eof(int conn_fd)
{
    char buf[BUFSIZE];
    ssize_t got;

    for (;;) {
        got = read(conn_fd, buf, sizeof buf);
        if (got == 0)
            return EXIT_SUCCESS;        /* client closed its side */
        if (got < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "TCPEchod: read: %s\n", strerror(errno));
            return EXIT_FAILURE;
        }
        if (writen(conn_fd, buf, (size_t) got) < 0) {
            fprintf(stderr, "TCPEchod: write: %s\n", strerror(errno));
            return EXIT_FAILURE;
        }
    }
}

static void serve_in_child(int listen_fd, int conn_fd)
{
    pid_t pid = fork();

    if (pid < 0) {
        /* Out of processes: drop this client, keep serving the others. */
        fprintf(stderr, "TCPEchod: fork: %s\n", strerror(errno));
    } else if (pid == 0) {
        close(listen_fd);       /* the child serves one client only */
        _exit(echo_until_eof(conn_fd)); /* _exit: don't flush the parent's stdio */
    }
    /* The parent's copy must go, or the client never sees end-of-file
     * and the parent runs out of descriptors. */
    close(conn_fd);
}

static void usage(FILE *out, const char *port, int status)
{
    fprintf(out, "usage: TCPEchod [port]\n"
            "Echo server: one child process per client.\n"
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

    listen_fd = passiveTCP(port, QLEN);
    install_handlers();
    fprintf(stderr, "TCPEchod: listening on port %s\n", port);

    for (;;) {
        int conn_fd = accept(listen_fd, NULL, NULL);

        if (conn_fd < 0) {
            /* EINTR: a handler ran; ECONNABORTED: the client left before
             * we got to it.  Neither stops the server. */
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            /* Anything else (say EMFILE, out of descriptors) may last a
             * while: report it and pause rather than spin. */
            fprintf(stderr, "TCPEchod: accept: %s\n", strerror(errno));
            sleep(1);
            continue;
        }
        serve_in_child(listen_fd, conn_fd);
    }
}
