/* TCPEchod.c - stage 08: a preforked pool of workers (labs/08-prefork).
 *
 * Usage: ./TCPEchod [-n WORKERS] [port]
 *        (default: 4 workers; port $LAB_PORT, else 8000 + uid % 1000)
 *
 * The servers of stages 02 to 04 fork a child for every client, and pay
 * a fork, an exit and a wait each time.  Here the parent opens the
 * listener and forks WORKERS processes ahead of time, as Apache's prefork
 * MPM does: each worker loops on accept() on the listener they share and
 * serves one client at a time.  The parent never accepts.  It only
 * supervises: a worker that dies is reaped and replaced at once, and on
 * SIGTERM (or Ctrl-C) the parent stops every worker, waits for them all
 * and exits.  Each worker says how many clients it served when it ends.
 * Try it:  ./TCPEchod -n 3 8080 &   then   ps -o pid,ppid,stat,cmd --ppid $!
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

/* The pool, as the parent sees it: a slot per worker, 0 when empty. */
struct pool {
    int listen_fd;
    int size;
    pid_t workers[MAX_WORKERS];
    sigset_t worker_mask;       /* the signal mask each worker runs with */
};

/* The clients this process has accepted: counted by a worker's loop,
 * read by its SIGTERM handler. */
static volatile sig_atomic_t clients_served;

/* --- a worker ---------------------------------------------------------- */

/* Appends text to line[*used..size); stops at the end of line. */
static void append_text(char *line, size_t size, size_t *used,
                        const char *text)
{
    while (*text != '\0' && *used < size)
        line[(*used)++] = *text++;
}

/* Appends number in decimal.  snprintf() is not async-signal-safe, so a
 * handler formats numbers itself (as CS:APP's sio_putl does). */
static void append_number(char *line, size_t size, size_t *used, long number)
{
    char digits[24];
    size_t count = 0;

    do {
        digits[count++] = (char) ('0' + number % 10);
        number /= 10;
    } while (number > 0 && count < sizeof digits);
    while (count > 0 && *used < size)
        line[(*used)++] = digits[--count];
}

/* A worker's SIGTERM and SIGINT handler: says how many clients this
 * worker served, and ends it.  Only async-signal-safe calls (getpid,
 * write, _exit).  It never returns, so errno needs no saving. */
static void end_worker(int signo)
{
    char line[80];
    size_t used = 0;

    (void) signo;
    append_text(line, sizeof line, &used,
                "TCPEchod: clients served by worker ");
    append_number(line, sizeof line, &used, (long) getpid());
    append_text(line, sizeof line, &used, ": ");
    append_number(line, sizeof line, &used, (long) clients_served);
    append_text(line, sizeof line, &used, "\n");
    /* Nothing to do if it fails: the worker ends either way. */
    if (write(STDERR_FILENO, line, used) < 0)
        _exit(EXIT_FAILURE);
    _exit(EXIT_SUCCESS);
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

/* A worker's life: accept a client, serve it to the end, close, again.
 * Every worker blocks in accept() on the same listener; the kernel hands
 * each new connection to one of them. */
static void serve_clients_forever(int listen_fd)
{
    for (;;) {
        int conn_fd = accept(listen_fd, NULL, NULL);

        if (conn_fd < 0) {
            /* ECONNABORTED: the client left before we got to it. */
            if (errno != EINTR && errno != ECONNABORTED) {
                /* Say EMFILE (out of descriptors): it may last, so pause
                 * rather than spin. */
                fprintf(stderr, "TCPEchod: accept: %s\n", strerror(errno));
                sleep(1);
            }
            continue;
        }
        clients_served++;
        echo_until_eof(conn_fd);        /* it reports its own errors */
        if (close(conn_fd) < 0)
            fprintf(stderr, "TCPEchod: close: %s\n", strerror(errno));
    }
}

/* In a new worker: SIGTERM and SIGINT end it with its count, then the
 * signals the parent blocked are let through again. */
static void become_worker(const struct pool *pool)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = end_worker;
    if (sigaction(SIGTERM, &action, NULL) < 0 ||
        sigaction(SIGINT, &action, NULL) < 0) {
        fprintf(stderr, "TCPEchod: sigaction: %s\n", strerror(errno));
        _exit(EXIT_FAILURE);
    }
    if (sigprocmask(SIG_SETMASK, &pool->worker_mask, NULL) < 0) {
        fprintf(stderr, "TCPEchod: sigprocmask: %s\n", strerror(errno));
        _exit(EXIT_FAILURE);
    }
    serve_clients_forever(pool->listen_fd);
}

/* --- the parent -------------------------------------------------------- */

/* Forks a worker into every empty slot.  If fork fails (EAGAIN: too many
 * processes), the slot stays empty and an alarm tries again in a second. */
static void fill_pool(struct pool *pool)
{
    int slot;

    for (slot = 0; slot < pool->size; slot++) {
        pid_t pid;

        if (pool->workers[slot] != 0)
            continue;
        pid = fork();
        if (pid < 0) {
            fprintf(stderr, "TCPEchod: fork: %s\n", strerror(errno));
            alarm(1);
            return;
        }
        if (pid == 0)
            become_worker(pool);        /* never returns */
        pool->workers[slot] = pid;
        fprintf(stderr, "TCPEchod: worker %ld started\n", (long) pid);
    }
}

static int slot_of(const struct pool *pool, pid_t pid)
{
    int slot;

    for (slot = 0; slot < pool->size; slot++)
        if (pool->workers[slot] == pid)
            return slot;
    return -1;
}

/* Says how a worker ended: a worker never exits on its own. */
static void report_end_of(pid_t pid, int status)
{
    if (WIFSIGNALED(status))
        fprintf(stderr, "TCPEchod: worker %ld killed by signal %d (%s)\n",
                (long) pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        fprintf(stderr, "TCPEchod: worker %ld exited with status %d\n",
                (long) pid, WEXITSTATUS(status));
}

/* Reaps every worker that has died and forks one in its place.  One
 * SIGCHLD may stand for several deaths: loop until none is left. */
static void replace_dead_workers(struct pool *pool)
{
    pid_t pid;
    int status;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        int slot = slot_of(pool, pid);

        report_end_of(pid, status);
        if (slot >= 0)
            pool->workers[slot] = 0;
    }
    if (pid < 0 && errno != ECHILD)
        fprintf(stderr, "TCPEchod: waitpid: %s\n", strerror(errno));
    fill_pool(pool);
}

/* Sends SIGTERM to every worker, then waits for each: no zombie is left
 * when the parent exits. */
static void stop_workers(struct pool *pool)
{
    int slot, running = 0;

    for (slot = 0; slot < pool->size; slot++) {
        if (pool->workers[slot] == 0)
            continue;
        if (kill(pool->workers[slot], SIGTERM) < 0)
            fprintf(stderr, "TCPEchod: kill %ld: %s\n",
                    (long) pool->workers[slot], strerror(errno));
        running++;
    }
    while (running > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);

        if (pid < 0) {
            if (errno != ECHILD)
                fprintf(stderr, "TCPEchod: waitpid: %s\n", strerror(errno));
            return;
        }
        if (slot_of(pool, pid) >= 0)
            running--;
    }
}

/* The parent's whole work once the pool runs: wait for a signal, and act
 * on it.  The signals stay blocked, so none can arrive between two
 * checks and be missed: sigwait() takes them one at a time. */
static void supervise(struct pool *pool, const sigset_t *signals)
{
    for (;;) {
        int signo;
        int error = sigwait(signals, &signo);

        if (error != 0)
            errexit("TCPEchod: sigwait: %s\n", strerror(error));
        if (signo == SIGTERM || signo == SIGINT) {
            stop_workers(pool);
            fprintf(stderr, "TCPEchod: stopped\n");
            return;
        }
        replace_dead_workers(pool);     /* SIGCHLD, or SIGALRM: retry */
    }
}

/* Never runs: SIGCHLD stays blocked in the parent, and sigwait() takes
 * it.  But its default action is "ignore", and POSIX lets a system
 * discard an ignored signal even while it is blocked. */
static void keep_sigchld(int signo)
{
    (void) signo;
}

/* Blocks the signals the parent waits for (the workers unblock them),
 * and ignores SIGPIPE (stage 04): a failed write reports EPIPE. */
static void install_handlers(sigset_t *signals, sigset_t *old_mask)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = keep_sigchld;
    if (sigaction(SIGCHLD, &action, NULL) < 0)
        errexit("TCPEchod: sigaction SIGCHLD: %s\n", strerror(errno));
    action.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &action, NULL) < 0)
        errexit("TCPEchod: sigaction SIGPIPE: %s\n", strerror(errno));

    sigemptyset(signals);
    sigaddset(signals, SIGCHLD);
    sigaddset(signals, SIGTERM);
    sigaddset(signals, SIGINT);
    sigaddset(signals, SIGALRM);
    if (sigprocmask(SIG_BLOCK, signals, old_mask) < 0)
        errexit("TCPEchod: sigprocmask: %s\n", strerror(errno));
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
    static struct pool pool;
    const char *port = default_port();
    sigset_t signals;
    int option;

    pool.size = DEFAULT_WORKERS;
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, port, EXIT_SUCCESS);
    while ((option = getopt(argc, argv, "n:")) != -1) {
        if (option == 'n')
            pool.size = number_in_range("TCPEchod", "worker count", optarg,
                                        MAX_WORKERS);
        else
            usage(stderr, port, EXIT_FAILURE);
    }
    if (argc - optind > 1)
        usage(stderr, port, EXIT_FAILURE);
    if (argc - optind == 1)
        port = argv[optind];

    pool.listen_fd = passiveTCP(port, QLEN);
    install_handlers(&signals, &pool.worker_mask);
    fprintf(stderr, "TCPEchod: listening on port %s with %d workers\n",
            port, pool.size);
    fill_pool(&pool);
    supervise(&pool, &signals);
    return EXIT_SUCCESS;
}
