/* TCPEchod.c - stage 07: the forking echo server as a daemon
 * (labs/07-daemon).
 *
 * Usage: ./TCPEchod [-f] [-p PIDFILE] [-m MAX_CHILDREN] [port]
 *
 * Your starting point: the stage 06 server (a child per client, a reaper
 * that counts children out, SIGPIPE ignored, at most MAX_CHILDREN clients
 * at once), which already takes -f and -p but does nothing with them: it
 * stays on your terminal and prints to stderr.  The TODO markers show
 * where your work goes (README.md, steps 3 to 6): become a daemon, log
 * with syslog, write the PID file, stop cleanly on SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>             /* LOG_INFO, LOG_ERR: the priorities */
#include <unistd.h>

#include <sys/socket.h>
#include <sys/wait.h>

#include "psockets.h"

#define QLEN SOMAXCONN          /* backlog: as many as the system allows */
#define BUFSIZE 65536           /* one read takes all a fast client has sent */
#define DEFAULT_MAX_CHILDREN 64
#define MOST_CHILDREN 10000     /* the largest -m accepted */

static volatile sig_atomic_t live_children;     /* forked, not yet reaped */

static int in_foreground;       /* -f: stay on the terminal */
static sigset_t waiting_mask;   /* the mask while waiting */

/* Prints one line on stderr.  Not for signal handlers. */
static void log_line(int priority, const char *format, ...)
{
    char line[512];
    va_list arguments;

    va_start(arguments, format);
    vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    /* TODO (step 4): a daemon's stderr is /dev/null.  Send the line to
     * syslog(priority, "%s", line) instead (and, with -f, to stderr as
     * well). */
    (void) priority;
    fprintf(stderr, "TCPEchod: %s\n", line);
}

/* Reaps every child that has exited, and counts them out. */
static void reap_children(int signo)
{
    int saved_errno = errno;    /* waitpid may change errno under main() */

    (void) signo;
    /* SIGCHLD is not queued: loop until no exited child is left. */
    while (waitpid(-1, NULL, WNOHANG) > 0)
        live_children--;
    errno = saved_errno;
}

/* sigprocmask fails only on a bad argument: a bug, so stop there. */
static void change_mask(int how, const sigset_t *set, sigset_t *old)
{
    if (sigprocmask(how, set, old) < 0) {
        log_line(LOG_ERR, "sigprocmask: %s", strerror(errno));
        exit(EXIT_FAILURE);
    }
}

static void install_handlers(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = reap_children;
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGCHLD, &action, NULL) < 0)
        errexit("TCPEchod: sigaction SIGCHLD: %s\n", strerror(errno));

    /* Ignored, SIGPIPE no longer kills: the write fails with EPIPE. */
    action.sa_handler = SIG_IGN;
    action.sa_flags = 0;
    if (sigaction(SIGPIPE, &action, NULL) < 0)
        errexit("TCPEchod: sigaction SIGPIPE: %s\n", strerror(errno));

    /* TODO (step 6): a SIGTERM handler that only sets a flag
     * (volatile sig_atomic_t stop_requested = 1). */
}

/* TODO (step 3): become a daemon, step by step, keeping only keep_fd
 * (the listener): fork and let the parent exit; setsid; fork again; umask;
 * chdir("/"); close every other descriptor; 0, 1 and 2 on /dev/null.
 * Then (step 4) openlog("TCPEchod", LOG_PID, LOG_DAEMON). */
static void become_daemon(int keep_fd)
{
    (void) keep_fd;
}

/* TODO (step 5): write this process's ID (getpid()) to path, one line. */
static void write_pid_file(const char *path)
{
    (void) path;
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
            log_line(LOG_ERR, "read: %s", strerror(errno));
            return EXIT_FAILURE;
        }
        if (writen(conn_fd, buf, (size_t) got) < 0) {
            log_line(LOG_ERR, "write: %s", strerror(errno));
            return EXIT_FAILURE;
        }
    }
}

static void serve_in_child(int listen_fd, int conn_fd)
{
    sigset_t sigchld, before;
    pid_t pid;

    /* The count is changed here and in the reaper: keep the reaper out
     * while it goes up. */
    sigemptyset(&sigchld);
    sigaddset(&sigchld, SIGCHLD);
    change_mask(SIG_BLOCK, &sigchld, &before);
    pid = fork();
    if (pid > 0)
        live_children++;
    change_mask(SIG_SETMASK, &before, NULL);

    if (pid < 0) {
        /* Out of processes: drop this client, keep serving the others. */
        log_line(LOG_ERR, "fork: %s", strerror(errno));
    } else if (pid == 0) {
        close(listen_fd);       /* the child serves one client only */
        /* TODO (step 4): log one line when the client leaves: its
         * address and port (accept() can give them; getnameinfo with
         * NI_NUMERICHOST | NI_NUMERICSERV) and the bytes echoed. */
        _exit(echo_until_eof(conn_fd));
    }
    if (close(conn_fd) < 0)
        log_line(LOG_ERR, "close: %s", strerror(errno));
}

/* At the cap, waits until a child has been reaped.
 * SIGCHLD is blocked between the check and sigsuspend, which unblocks it
 * and waits in one step: no exit can slip in between and be missed. */
static void wait_for_room(int max_children)
{
    sigset_t sigchld, before;

    sigemptyset(&sigchld);
    sigaddset(&sigchld, SIGCHLD);
    change_mask(SIG_BLOCK, &sigchld, &before);
    while (live_children >= max_children)
        sigsuspend(&waiting_mask);      /* always -1 EINTR: a handler ran */
    change_mask(SIG_SETMASK, &before, NULL);
}

static void usage(FILE *out, const char *port, int status)
{
    fprintf(out, "usage: TCPEchod [-f] [-p PIDFILE] [-m MAX_CHILDREN] [port]\n"
            "Echo server: one child process per client.\n"
            "  -f  stay in the foreground   -p  write the PID to PIDFILE"
            " (absolute path)\n"
            "  -m  at most MAX_CHILDREN clients at once (default %d)\n"
            "Default port: $LAB_PORT if set, else 8000 + uid %% 1000"
            " (here: %s).\n", DEFAULT_MAX_CHILDREN, port);
    exit(status);
}

int main(int argc, char *argv[])
{
    const char *port = default_port();
    const char *pid_file = NULL;
    int max_children = DEFAULT_MAX_CHILDREN;
    int option, listen_fd;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, port, EXIT_SUCCESS);
    while ((option = getopt(argc, argv, "fp:m:")) != -1) {
        switch (option) {
        case 'f':
            in_foreground = 1;
            break;
        case 'p':
            /* The daemon works from "/": a relative path would change
             * meaning. */
            if (optarg[0] != '/')
                errexit("TCPEchod: -p needs an absolute path, not \"%s\"\n",
                        optarg);
            pid_file = optarg;
            break;
        case 'm':
            max_children = number_in_range("TCPEchod", "MAX_CHILDREN", optarg,
                                           MOST_CHILDREN);
            break;
        default:
            usage(stderr, port, EXIT_FAILURE);
        }
    }
    if (argc - optind > 1)
        usage(stderr, port, EXIT_FAILURE);
    if (argc - optind == 1)
        port = argv[optind];

    /* Listen before leaving the terminal: "Address already in use" is
     * seen there, and the command's exit status says it. */
    listen_fd = passiveTCP(port, QLEN);
    install_handlers();
    /* The mask sigsuspend waits with: the one we start with. */
    change_mask(SIG_BLOCK, NULL, &waiting_mask);
    if (!in_foreground)
        become_daemon(listen_fd);
    if (pid_file != NULL)
        write_pid_file(pid_file);
    log_line(LOG_INFO, "listening on port %s", port);

    /* TODO (step 6): on SIGTERM, log a last line, remove the PID file and
     * exit 0.  Keep SIGTERM blocked, and let it in only where the loop
     * waits: pselect() on listen_fd before accept(), and sigsuspend(). */
    for (;;) {
        int conn_fd;

        wait_for_room(max_children);
        conn_fd = accept(listen_fd, NULL, NULL);
        if (conn_fd < 0) {
            /* ECONNABORTED: the client left before we got to it. */
            if (errno != EINTR && errno != ECONNABORTED) {
                /* EMFILE (out of descriptors) may last: pause, not spin. */
                log_line(LOG_ERR, "accept: %s", strerror(errno));
                sleep(1);
            }
            continue;
        }
        serve_in_child(listen_fd, conn_fd);
    }
}
