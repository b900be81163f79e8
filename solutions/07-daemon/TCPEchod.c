/* TCPEchod.c - stage 07: the forking echo server as a daemon
 * (labs/07-daemon).
 *
 * Usage: ./TCPEchod [-f] [-p PIDFILE] [-m MAX_CHILDREN] [port]
 *     -f   stay in the foreground (for debugging): no fork, same terminal
 *     -p   write the daemon's process ID to PIDFILE (an absolute path)
 *     -m   serve at most MAX_CHILDREN clients at once (default 64)
 *
 * By default the server becomes a daemon: the command returns at once,
 * and the server runs on with no terminal, in a session of its own, from
 * "/", with descriptors 0, 1 and 2 on /dev/null.  It reports through
 * syslog(3): a line when it listens, one per client, errors at LOG_ERR.
 * SIGTERM stops it: a last line, the PID file removed, exit 0; children
 * finish their clients.  Stages 02 to 06 live on: a child per client, a
 * reaper, SIGPIPE ignored, a cap on live children.
 * Try it:  ./TCPEchod -p /tmp/TCPEchod.pid 8080;  journalctl -t TCPEchod
 *          kill $(cat /tmp/TCPEchod.pid)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <netdb.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "psockets.h"

#define QLEN SOMAXCONN          /* backlog: as many as the system allows */
#define BUFSIZE 65536           /* one read takes all a fast client has sent */
#define DEFAULT_MAX_CHILDREN 64
#define MOST_CHILDREN 10000     /* the largest -m accepted */

static volatile sig_atomic_t live_children;     /* forked, not yet reaped */
static volatile sig_atomic_t stop_requested;    /* SIGTERM has arrived */

static int in_foreground;       /* -f: messages go to stderr as well */
static sigset_t waiting_mask;   /* the mask while waiting: nothing blocked */

/* Sends one line to syslog (and, with -f, to stderr too).  Not for
 * signal handlers: syslog is not async-signal-safe. */
static void log_line(int priority, const char *format, ...)
{
    char line[512];
    va_list arguments;

    va_start(arguments, format);
    vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    syslog(priority, "%s", line);
    if (in_foreground)
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

/* Only notes the request: main() logs, removes the PID file and exits
 * where it waits, outside the handler. */
static void request_stop(int signo)
{
    (void) signo;
    stop_requested = 1;
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

    action.sa_handler = request_stop;
    if (sigaction(SIGTERM, &action, NULL) < 0)
        errexit("TCPEchod: sigaction SIGTERM: %s\n", strerror(errno));
}

static void restore_default_action(int signo)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = SIG_DFL;
    if (sigaction(signo, &action, NULL) < 0) {
        log_line(LOG_ERR, "sigaction: %s", strerror(errno));
        _exit(EXIT_FAILURE);
    }
}

/* SIGTERM stays blocked except while the server waits (pselect and
 * sigsuspend let it in): it can never slip in between a check of
 * stop_requested and the call that would block. */
static void block_sigterm(void)
{
    sigset_t sigterm;

    sigemptyset(&sigterm);
    sigaddset(&sigterm, SIGTERM);
    change_mask(SIG_BLOCK, &sigterm, &waiting_mask);
    sigdelset(&waiting_mask, SIGTERM);
    sigdelset(&waiting_mask, SIGCHLD);
}

/* The first fork returns the command to its caller at once. */
static void fork_and_let_the_parent_exit(void)
{
    pid_t pid = fork();

    if (pid < 0)
        errexit("TCPEchod: fork: %s\n", strerror(errno));
    if (pid > 0)
        _exit(EXIT_SUCCESS);    /* _exit: the child flushes what stdio holds */
}

/* Step by step, as in labs/07-daemon/README.md.  keep_fd (the listener)
 * is the one descriptor that survives. */
static void become_daemon(int keep_fd)
{
    long max_fd, fd;
    int null_fd;

    /* 1. The caller (a shell) gets its prompt back, and the child, not a
     *    process group leader, may call setsid. */
    fork_and_let_the_parent_exit();
    /* 2. A new session, without a controlling terminal: no more SIGHUP
     *    or Ctrl-C from the terminal it was started from. */
    if (setsid() < 0)
        errexit("TCPEchod: setsid: %s\n", strerror(errno));
    /* 3. The session leader leaves: the daemon is not one, so opening a
     *    terminal can never make it its controlling terminal again. */
    fork_and_let_the_parent_exit();
    /* 4. Files it creates get exactly the modes it asks for, less write
     *    for group and others, whatever umask the caller had. */
    umask(022);
    /* 5. It holds no directory busy: the file system it was started in
     *    can be unmounted. */
    if (chdir("/") < 0)
        errexit("TCPEchod: chdir /: %s\n", strerror(errno));
    /* 6. Whatever the caller left open (a terminal, a file, a socket)
     *    stays open as long as the daemon lives: close it all.  Most are
     *    not open: close's EBADF is expected. */
    max_fd = sysconf(_SC_OPEN_MAX);
    if (max_fd < 0)
        max_fd = 1024;          /* no limit: guess, as most daemons do */
    for (fd = 0; fd < max_fd; fd++)
        if (fd != keep_fd)
            close((int) fd);
    /* From here on errors go to syslog: stderr is gone.  (openlog opens
     * its socket at the first message, so not before the loop above.) */
    openlog("TCPEchod", LOG_PID, LOG_DAEMON);
    /* 7. 0, 1 and 2 on /dev/null: a stray printf, or a library's message,
     *    must not land in the next socket that gets descriptor 1. */
    null_fd = open("/dev/null", O_RDWR);
    if (null_fd != STDIN_FILENO) {
        log_line(LOG_ERR, "open /dev/null: %s", null_fd < 0 ? strerror(errno)
                 : "did not get descriptor 0");
        exit(EXIT_FAILURE);
    }
    if (dup2(null_fd, STDOUT_FILENO) < 0 || dup2(null_fd, STDERR_FILENO) < 0) {
        log_line(LOG_ERR, "dup2: %s", strerror(errno));
        exit(EXIT_FAILURE);
    }
}

/* Writes this process's ID to path (mode 0644 under the umask 022). */
static void write_pid_file(const char *path)
{
    char line[32];
    int fd, length;

    length = snprintf(line, sizeof line, "%ld\n", (long) getpid());
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        log_line(LOG_ERR, "open %s: %s", path, strerror(errno));
        exit(EXIT_FAILURE);
    }
    if (writen(fd, line, (size_t) length) < 0 || close(fd) < 0) {
        log_line(LOG_ERR, "write %s: %s", path, strerror(errno));
        exit(EXIT_FAILURE);
    }
}

/* Copies everything the client sends back to it, until end-of-file, and
 * adds up the bytes.  Returns EXIT_SUCCESS, or EXIT_FAILURE after
 * logging the error. */
static int echo_until_eof(int conn_fd, long long *echoed)
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
        *echoed += got;
    }
}

/* The child's whole life: serve one client, log one line about it. */
static int serve_client(int conn_fd, const struct sockaddr *client,
                        socklen_t client_length)
{
    char host[64], port[16];    /* numeric: an IPv6 address takes 46 */
    long long echoed = 0;
    int status, code;

    code = getnameinfo(client, client_length, host, sizeof host, port,
                       sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    if (code != 0) {
        log_line(LOG_ERR, "getnameinfo: %s", gai_strerror(code));
        strcpy(host, "?");
        strcpy(port, "?");
    }
    status = echo_until_eof(conn_fd, &echoed);
    log_line(LOG_INFO, "client %s port %s: %lld bytes echoed", host, port,
             echoed);
    return status;
}

static void serve_in_child(int listen_fd, int conn_fd,
                           const struct sockaddr *client, socklen_t length)
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
        /* SIGTERM is for the server: a child finishes its client, and
         * ends at the default action of a SIGTERM sent to it. */
        restore_default_action(SIGTERM);
        change_mask(SIG_SETMASK, &waiting_mask, NULL);
        _exit(serve_client(conn_fd, client, length));
    }
    if (close(conn_fd) < 0)
        log_line(LOG_ERR, "close: %s", strerror(errno));
}

/* At the cap, waits until a child has been reaped (or SIGTERM came).
 * SIGCHLD is blocked between the check and sigsuspend, which unblocks it
 * and waits in one step: no exit can slip in between and be missed. */
static void wait_for_room(int max_children)
{
    sigset_t sigchld, before;

    sigemptyset(&sigchld);
    sigaddset(&sigchld, SIGCHLD);
    change_mask(SIG_BLOCK, &sigchld, &before);
    while (live_children >= max_children && !stop_requested)
        sigsuspend(&waiting_mask);      /* always -1 EINTR: a handler ran */
    change_mask(SIG_SETMASK, &before, NULL);
}

/* Waits until a client is there to accept, or a signal came (then it
 * returns 0).  pselect lets SIGTERM in only while it waits. */
static int wait_for_client(int listen_fd)
{
    fd_set ready;

    FD_ZERO(&ready);
    FD_SET(listen_fd, &ready);
    if (pselect(listen_fd + 1, &ready, NULL, NULL, NULL, &waiting_mask) < 0) {
        if (errno != EINTR)
            log_line(LOG_ERR, "pselect: %s", strerror(errno));
        return 0;
    }
    return 1;
}

static void stop(const char *pid_file)
{
    log_line(LOG_INFO, "stopping on SIGTERM; children still serving a"
             " client: %d", (int) live_children);
    if (pid_file != NULL && unlink(pid_file) < 0)
        log_line(LOG_ERR, "unlink %s: %s", pid_file, strerror(errno));
    closelog();
    exit(EXIT_SUCCESS);
}

static void usage(FILE *out, const char *port, int status)
{
    fprintf(out, "usage: TCPEchod [-f] [-p PIDFILE] [-m MAX_CHILDREN] [port]\n"
            "Echo server, a daemon: one child process per client.\n"
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
    block_sigterm();
    if (in_foreground)
        openlog("TCPEchod", LOG_PID, LOG_DAEMON);
    else
        become_daemon(listen_fd);
    if (pid_file != NULL)
        write_pid_file(pid_file);
    log_line(LOG_INFO, "listening on port %s", port);

    for (;;) {
        struct sockaddr_storage client;
        socklen_t length = sizeof client;
        int conn_fd;

        wait_for_room(max_children);
        if (stop_requested || !wait_for_client(listen_fd)) {
            if (stop_requested)
                stop(pid_file);
            continue;
        }
        conn_fd = accept(listen_fd, (struct sockaddr *) &client, &length);
        if (conn_fd < 0) {
            /* ECONNABORTED: the client left before we got to it. */
            if (errno != EINTR && errno != ECONNABORTED) {
                /* EMFILE (out of descriptors) may last: pause, not spin. */
                log_line(LOG_ERR, "accept: %s", strerror(errno));
                sleep(1);
            }
            continue;
        }
        serve_in_child(listen_fd, conn_fd, (struct sockaddr *) &client, length);
    }
}
