/* TCPEchod.c - stage 06, another correct style: the self-pipe
 * (labs/06-limits; a correct alternative in grading/mutants/06-limits).
 *
 * Usage: ./TCPEchod [-m MAX_CHILDREN] [port]
 *
 * The reference solution shares the count of children with its SIGCHLD
 * handler and waits at the cap in sigsuspend.  Here the handler shares
 * nothing but a pipe: it writes one byte to it, and main, which waits in
 * poll() on the listener and the pipe's read end, reaps and counts the
 * children itself.  A byte waits in the pipe until it is read, so no
 * wake-up is lost between a check and a wait.  At the cap, main simply
 * stops watching the listener; when accept fails with EMFILE it stops
 * watching it for a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/wait.h>

#include "psockets.h"

#define QLEN SOMAXCONN          /* the most the kernel gives */
#define BUFSIZE 4096
#define MAX_CHILDREN_LIMIT 10000
#define EMFILE_PAUSE_MS 1000

static int wake_pipe[2];        /* the handler writes, main reads */

/* Says "a child has exited" with a byte; main does the reaping. */
static void note_child_exit(int signo)
{
    int saved_errno = errno;    /* write may change errno under main() */

    (void) signo;
    /* Non-blocking: if the pipe is full, main has bytes enough to wake. */
    (void) write(wake_pipe[1], "x", 1);
    errno = saved_errno;
}

static void set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        errexit("TCPEchod: fcntl: %s\n", strerror(errno));
}

static void install_handlers(void)
{
    struct sigaction action;

    if (pipe(wake_pipe) < 0)
        errexit("TCPEchod: pipe: %s\n", strerror(errno));
    set_nonblocking(wake_pipe[0]);
    set_nonblocking(wake_pipe[1]);

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = note_child_exit;
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGCHLD, &action, NULL) < 0)
        errexit("TCPEchod: sigaction SIGCHLD: %s\n", strerror(errno));

    action.sa_handler = SIG_IGN;        /* EPIPE instead of a silent death */
    action.sa_flags = 0;
    if (sigaction(SIGPIPE, &action, NULL) < 0)
        errexit("TCPEchod: sigaction SIGPIPE: %s\n", strerror(errno));
}

/* Empties the pipe, then reaps every child that has exited.  Returns how
 * many it reaped. */
static int reap_children(void)
{
    char bytes[64];
    int reaped = 0;

    while (read(wake_pipe[0], bytes, sizeof bytes) > 0)
        continue;
    /* Signals are not queued, bytes may be fewer than children: loop. */
    while (waitpid(-1, NULL, WNOHANG) > 0)
        reaped++;
    return reaped;
}

static int echo_until_eof(int conn_fd)
{
    char buf[BUFSIZE];
    ssize_t got;

    for (;;) {
        got = read(conn_fd, buf, sizeof buf);
        if (got == 0)
            return EXIT_SUCCESS;
        if (got < 0) {
            fprintf(stderr, "TCPEchod: read: %s\n", strerror(errno));
            return EXIT_FAILURE;
        }
        if (writen(conn_fd, buf, (size_t) got) < 0) {
            fprintf(stderr, "TCPEchod: write: %s\n", strerror(errno));
            return EXIT_FAILURE;
        }
    }
}

/* Returns 1 if a child now serves the client, 0 if it was dropped. */
static int serve_in_child(int listen_fd, int conn_fd)
{
    pid_t pid = fork();

    if (pid < 0) {
        /* Out of processes: drop this client, keep serving. */
        fprintf(stderr, "TCPEchod: fork: %s\n", strerror(errno));
    } else if (pid == 0) {
        close(listen_fd);       /* the child needs only its client */
        close(wake_pipe[0]);
        close(wake_pipe[1]);
        _exit(echo_until_eof(conn_fd));
    }
    if (close(conn_fd) < 0)
        fprintf(stderr, "TCPEchod: close: %s\n", strerror(errno));
    return pid > 0;
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
    int live_children = 0;      /* main's alone: the handler never sees it */
    int option;
    int listen_fd;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, port, EXIT_SUCCESS);
    while ((option = getopt(argc, argv, "m:")) != -1) {
        if (option == 'm')
            max_children = number_in_range("TCPEchod", "MAX_CHILDREN",
                                           optarg, MAX_CHILDREN_LIMIT);
        else
            usage(stderr, port, EXIT_FAILURE);
    }
    if (argc - optind > 1)
        usage(stderr, port, EXIT_FAILURE);
    if (argc - optind == 1)
        port = argv[optind];

    listen_fd = passiveTCP(port, QLEN);
    install_handlers();
    fprintf(stderr, "TCPEchod: listening on port %s\n", port);

    for (;;) {
        struct pollfd watched[2] = {
            { wake_pipe[0], POLLIN, 0 },
            { listen_fd, POLLIN, 0 },
        };
        int at_cap = max_children > 0 && live_children >= max_children;
        int conn_fd;

        /* At the cap, the listener is not watched: clients wait in the
         * backlog, and only a child's exit (a byte) wakes us. */
        if (poll(watched, at_cap ? 1 : 2, -1) < 0) {
            if (errno != EINTR)
                errexit("TCPEchod: poll: %s\n", strerror(errno));
            continue;
        }
        if (watched[0].revents != 0)
            live_children -= reap_children();
        if (at_cap || watched[1].revents == 0)
            continue;
        conn_fd = accept(listen_fd, NULL, NULL);
        if (conn_fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            /* EMFILE may last: stop watching the listener for a while
             * (children still reaped), rather than spin. */
            fprintf(stderr, "TCPEchod: accept: %s\n", strerror(errno));
            if (poll(watched, 1, EMFILE_PAUSE_MS) > 0)
                live_children -= reap_children();
            continue;
        }
        live_children += serve_in_child(listen_fd, conn_fd);
    }
}
