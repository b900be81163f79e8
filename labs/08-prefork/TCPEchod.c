/* TCPEchod.c - stage 08: a preforked pool of workers (labs/08-prefork).
 *
 * Usage: ./TCPEchod [-n WORKERS] [port]
 *        (default: 4 workers; port $LAB_PORT, else 8000 + uid % 1000)
 *
 * Your starting point: the stage 04 server (a child per client, a reaper,
 * SIGPIPE ignored), which already reads -n WORKERS but does nothing with
 * it yet.  You turn it into a pool: the parent forks WORKERS workers
 * ahead of time, each looping on accept(); the parent only supervises.
 * The TODO markers show where your work goes (README.md, steps 3 to 5).
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
#define DEFAULT_WORKERS 4
#define MAX_WORKERS 64

/* Reaps every child that has exited, and returns without waiting for
 * the others. */
static void reap_children(int signo)
{
    int saved_errno = errno;    /* waitpid may change errno under main() */

    (void) signo;
    /* SIGCHLD is not queued: while one is pending, more children may
     * exit, so loop until none is left to reap (0: the others still run;
     * -1: no children at all). */
    while (waitpid(-1, NULL, WNOHANG) > 0)
        continue;
    errno = saved_errno;
}

/* TODO (step 4): the parent of a pool waits for its workers to die in
 * its main loop: block SIGCHLD (and, in step 5, SIGTERM and SIGINT) and
 * take them with sigwait(); this asynchronous reaper goes. */
static void install_handlers(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = reap_children;
    /* Resume most system calls the handler interrupts; accept() still
     * checks for EINTR, as not every system restarts it. */
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGCHLD, &action, NULL) < 0)
        errexit("TCPEchod: sigaction SIGCHLD: %s\n", strerror(errno));

    /* Ignored, SIGPIPE no longer kills: the write fails with EPIPE, and
     * echo_until_eof reports it.  Children inherit this setting. */
    action.sa_handler = SIG_IGN;
    action.sa_flags = 0;
    if (sigaction(SIGPIPE, &action, NULL) < 0)
        errexit("TCPEchod: sigaction SIGPIPE: %s\n", strerror(errno));
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

static void serve_in_child(int listen_fd, int conn_fd)
{
    pid_t pid = fork();

    if (pid < 0) {
        /* Out of processes: drop this client, keep serving the others. */
        fprintf(stderr, "TCPEchod: fork: %s\n", strerror(errno));
    } else if (pid == 0) {
        close(listen_fd);       /* the child serves one client only */
        /* _exit, never return: a child that returned would fall back into
         * the accept loop, a second server.  _exit also skips flushing
         * the stdio buffers it copied from the parent. */
        _exit(echo_until_eof(conn_fd));
    }
    /* The child has its own copy.  Ours must go, or the connection stays
     * open after the child closes it (the client never sees end-of-file)
     * and the parent runs out of descriptors. */
    if (close(conn_fd) < 0)
        fprintf(stderr, "TCPEchod: close: %s\n", strerror(errno));
}

static void usage(FILE *out, const char *port, int status)
{
    fprintf(out, "usage: TCPEchod [-n WORKERS] [port]\n"
            "Echo server: a pool of WORKERS processes forked ahead of time\n"
            "(default %d, at most %d).\n"
            "Default port: $LAB_PORT if set, else 8000 + uid %% 1000"
            " (here: %s).\n", DEFAULT_WORKERS, MAX_WORKERS, port);
    exit(status);
}

int main(int argc, char *argv[])
{
    const char *port = default_port();
    int pool_size = DEFAULT_WORKERS;
    int listen_fd;
    int option;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, port, EXIT_SUCCESS);
    while ((option = getopt(argc, argv, "n:")) != -1) {
        if (option == 'n')
            pool_size = number_in_range("TCPEchod", "worker count", optarg,
                                        MAX_WORKERS);
        else
            usage(stderr, port, EXIT_FAILURE);
    }
    if (argc - optind > 1)
        usage(stderr, port, EXIT_FAILURE);
    if (argc - optind == 1)
        port = argv[optind];

    /* passiveTCP() builds the listener exactly as you did in stage 01. */
    listen_fd = passiveTCP(port, QLEN);
    install_handlers();
    fprintf(stderr, "TCPEchod: listening on port %s\n", port);

    /* TODO (step 3): fork `pool_size` workers here and keep their PIDs.
     * Each runs a loop of its own on accept(listen_fd): it serves its
     * client itself with echo_until_eof() (no fork per client), closes
     * the connection, and accepts the next.  The loop below, stage 04's,
     * then goes: the parent never accepts.
     * TODO (step 4): the parent only supervises: it waits for a worker
     * to die, reaps it and forks a new one in its place.
     * TODO (step 5): on SIGTERM or SIGINT, it sends SIGTERM to each
     * worker, waits for each, and exits. */
    (void) pool_size;
    for (;;) {
        int conn_fd = accept(listen_fd, NULL, NULL);

        if (conn_fd < 0) {
            /* EINTR: the reaper ran while we waited;  ECONNABORTED: the
             * client left before we got to it.  Neither is a failure. */
            if (errno != EINTR && errno != ECONNABORTED) {
                /* Say EMFILE (out of descriptors): it may last, so pause
                 * rather than spin. */
                fprintf(stderr, "TCPEchod: accept: %s\n", strerror(errno));
                sleep(1);
            }
            continue;
        }
        serve_in_child(listen_fd, conn_fd);
    }
}
