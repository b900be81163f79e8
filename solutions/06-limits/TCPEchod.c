/* TCPEchod.c - stage 06: a forking server that lives within its limits
 * (labs/06-limits).
 *
 * Usage: ./TCPEchod [-m MAX_CHILDREN] [port]
 *                              (default port: $LAB_PORT, else 8000 + uid % 1000)
 *
 * Every server runs out of something.  This one meets each limit without
 * hanging a client, exiting or spinning:
 *   - the listen backlog is the kernel's largest (SOMAXCONN), so a burst of
 *     clients waits in the queue instead of having its SYNs dropped;
 *   - when fork fails (EAGAIN: out of processes), the client is closed at
 *     once and the server goes on;
 *   - when accept fails with EMFILE (out of descriptors), it pauses a
 *     second before it tries again, instead of spinning;
 *   - with -m, at most MAX_CHILDREN children live at once: at the cap it
 *     stops accepting, and the clients wait in the backlog until a child
 *     exits.  The count is shared with the SIGCHLD handler, so main blocks
 *     SIGCHLD while it reads or changes it, and waits with sigsuspend.
 * Stages 02 to 04 live on: a child per client, each process closing what
 * it does not need, a reaper, and SIGPIPE ignored.
 * Try it:  ./TCPEchod -m 5 8080 &   then   ../../psockets2/TCPHold -n 10 localhost 8080
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

/* Backlog of connections not yet accepted: ask for the most the kernel
 * gives (it silently caps the request at net.core.somaxconn on Linux). */
#define QLEN SOMAXCONN
#define BUFSIZE 65536           /* one read takes all a fast client has sent */
#define MAX_CHILDREN_LIMIT 10000        /* the largest -m accepted */

/* Children forked and not yet reaped.  The SIGCHLD handler changes it
 * while main reads it: sig_atomic_t is read and written whole, volatile
 * makes main read it from memory every time. */
static volatile sig_atomic_t live_children;

/* Reaps every child that has exited, and returns without waiting for
 * the others. */
static void reap_children(int signo)
{
    int saved_errno = errno;    /* waitpid may change errno under main() */

    (void) signo;
    /* SIGCHLD is not queued: while one is pending, more children may
     * exit, so loop until none is left to reap (0: the others still run;
     * -1: no children at all).  Count each child reaped, not each signal. */
    while (waitpid(-1, NULL, WNOHANG) > 0)
        live_children--;
    errno = saved_errno;
}

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

/* Blocks SIGCHLD, saving the previous mask in old_mask: until it is
 * restored, the handler cannot change live_children under us. */
static void block_sigchld(sigset_t *old_mask)
{
    sigset_t sigchld;

    sigemptyset(&sigchld);
    sigaddset(&sigchld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &sigchld, old_mask) < 0)
        errexit("TCPEchod: sigprocmask: %s\n", strerror(errno));
}

static void restore_mask(const sigset_t *old_mask)
{
    if (sigprocmask(SIG_SETMASK, old_mask, NULL) < 0)
        errexit("TCPEchod: sigprocmask: %s\n", strerror(errno));
}

/* At the cap, waits until a child exits.  The clients that connect
 * meanwhile wait in the listen backlog: we accept nothing we cannot serve.
 * The trap: checking the count, then calling pause(), loses a SIGCHLD
 * that arrives between the two, and pause() then sleeps until the next
 * one, which may never come.  So SIGCHLD stays blocked from the check to
 * the wait, and sigsuspend unblocks it and sleeps in one step. */
static void wait_below_cap(int max_children)
{
    sigset_t old_mask;

    if (max_children == 0)
        return;                 /* no -m: no cap */
    block_sigchld(&old_mask);
    while (live_children >= max_children)
        sigsuspend(&old_mask);  /* returns (EINTR) after the handler ran */
    restore_mask(&old_mask);
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
    sigset_t old_mask;
    pid_t pid;

    /* Blocked from fork to the count: the new child may exit, and be
     * reaped, before the parent has counted it. */
    block_sigchld(&old_mask);
    pid = fork();
    if (pid < 0) {
        /* EAGAIN: out of processes.  Drop this client (the close below
         * sends it end-of-file at once), keep serving the others. */
        fprintf(stderr, "TCPEchod: fork: %s\n", strerror(errno));
    } else if (pid == 0) {
        restore_mask(&old_mask);
        close(listen_fd);       /* the child serves one client only */
        /* _exit, never return: a child that returned would fall back into
         * the accept loop, a second server.  _exit also skips flushing
         * the stdio buffers it copied from the parent. */
        _exit(echo_until_eof(conn_fd));
    } else {
        live_children++;
    }
    restore_mask(&old_mask);
    /* The child has its own copy.  Ours must go, or the connection stays
     * open after the child closes it (the client never sees end-of-file)
     * and the parent runs out of descriptors. */
    if (close(conn_fd) < 0)
        fprintf(stderr, "TCPEchod: close: %s\n", strerror(errno));
}

/* Accepts the next client.  Returns its descriptor, or -1 when there is
 * none to serve this time round. */
static int accept_client(int listen_fd)
{
    int conn_fd = accept(listen_fd, NULL, NULL);

    if (conn_fd >= 0)
        return conn_fd;
    /* EINTR: the reaper ran while we waited;  ECONNABORTED: the client
     * left before we got to it.  Neither is a failure. */
    if (errno == EINTR || errno == ECONNABORTED)
        return -1;
    /* EMFILE (out of descriptors) and the like may last: the client stays
     * in the backlog, so retrying at once would fail again at once, a
     * busy loop.  Pause, then try again. */
    fprintf(stderr, "TCPEchod: accept: %s\n", strerror(errno));
    sleep(1);
    return -1;
}

static void usage(FILE *out, const char *port, int status)
{
    fprintf(out, "usage: TCPEchod [-m MAX_CHILDREN] [port]\n"
            "Echo server: one child process per client; with -m, at most"
            " MAX_CHILDREN (1 to %d)\nat once, the other clients waiting"
            " in the backlog.\n"
            "Default port: $LAB_PORT if set, else 8000 + uid %% 1000"
            " (here: %s).\n", MAX_CHILDREN_LIMIT, port);
    exit(status);
}

int main(int argc, char *argv[])
{
    const char *port = default_port();
    int max_children = 0;       /* 0: no cap */
    int option;
    int listen_fd;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, port, EXIT_SUCCESS);
    while ((option = getopt(argc, argv, "m:")) != -1) {
        if (option == 'm')      /* exits with a message unless 1..limit */
            max_children = number_in_range("TCPEchod", "MAX_CHILDREN",
                                           optarg, MAX_CHILDREN_LIMIT);
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

    for (;;) {
        int conn_fd;

        wait_below_cap(max_children);
        conn_fd = accept_client(listen_fd);
        if (conn_fd >= 0)
            serve_in_child(listen_fd, conn_fd);
    }
}
