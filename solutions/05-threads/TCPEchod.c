/* TCPEchod.c - stage 05: one thread per client (labs/05-threads).
 *
 * Usage: ./TCPEchod [port]     (default: $LAB_PORT, else 8000 + uid % 1000)
 *
 * The stage 04 server with threads instead of processes: main() accepts,
 * and pthread_create() starts a thread that echoes to one client.  Threads
 * share one process, so there are no children to reap, no descriptors to
 * close in the parent, and a client costs a stack rather than a process.
 * Two traps replace the old ones:
 *   - each thread gets the connected descriptor in its own heap cell:
 *     handing it &conn_fd would race with the next accept(), which
 *     overwrites conn_fd before the thread has read it;
 *   - each thread is detached, so its stack is freed when it returns; an
 *     unjoined, undetached thread leaves its stack behind.
 * SIGPIPE is still ignored: a signal's action belongs to the whole process,
 * and here the whole process is every client.
 * Try it:  ./TCPEchod 8080 &   then   ../../psockets2/TCPBurst -n 50 localhost 8080
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "psockets.h"

#define QLEN 32                 /* backlog of connections not yet accepted */
#define BUFSIZE 65536           /* one read takes all a fast client has sent */

/* Prints "TCPEchod: call: reason".  strerror() may share one buffer
 * between threads; strerror_r() writes into ours. */
static void report(const char *call, int error)
{
    char reason[128];

    if (strerror_r(error, reason, sizeof reason) != 0)
        snprintf(reason, sizeof reason, "error %d", error);
    fprintf(stderr, "TCPEchod: %s: %s\n", call, reason);
}

static void ignore_sigpipe(void)
{
    struct sigaction action;

    /* Ignored, SIGPIPE no longer kills: the write fails with EPIPE, and
     * echo_until_eof reports it.  Left alone, one client that resets
     * would kill the whole process, and every other client with it. */
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = SIG_IGN;
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
            report("read", errno);
            return EXIT_FAILURE;
        }
        /* write() may send fewer bytes than asked: writen loops. */
        if (writen(conn_fd, buf, (size_t) got) < 0) {
            report("write", errno);
            return EXIT_FAILURE;
        }
    }
}

/* A client thread's body: conn_cell holds the connected descriptor. */
static void *serve_client(void *conn_cell)
{
    int conn_fd = *(int *) conn_cell;

    free(conn_cell);            /* the cell was this thread's alone */
    echo_until_eof(conn_fd);    /* errors are reported inside */
    /* Threads share the descriptor table: nobody else will close it. */
    if (close(conn_fd) < 0)
        report("close", errno);
    return NULL;
}

static void serve_in_thread(int conn_fd)
{
    pthread_t thread;
    int error;
    int *conn_cell = malloc(sizeof *conn_cell);

    if (conn_cell == NULL) {
        report("malloc", errno);
        close(conn_fd);         /* drop this client, keep serving */
        return;
    }
    *conn_cell = conn_fd;
    /* pthread functions return the error number; they do not set errno. */
    error = pthread_create(&thread, NULL, serve_client, conn_cell);
    if (error != 0) {
        report("pthread_create", error);
        free(conn_cell);
        close(conn_fd);
        return;
    }
    /* Nobody will join this thread: detached, it frees its own stack and
     * its exit status when it returns. */
    error = pthread_detach(thread);
    if (error != 0)
        report("pthread_detach", error);
}

static void usage(FILE *out, const char *port, int status)
{
    fprintf(out, "usage: TCPEchod [port]\n"
            "Echo server: one thread per client.\n"
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
    ignore_sigpipe();
    fprintf(stderr, "TCPEchod: listening on port %s\n", port);

    for (;;) {
        int conn_fd = accept(listen_fd, NULL, NULL);

        if (conn_fd < 0) {
            /* ECONNABORTED: the client left before we got to it. */
            if (errno != ECONNABORTED) {
                /* Say EMFILE (out of descriptors): it may last, so pause
                 * rather than spin. */
                report("accept", errno);
                sleep(1);
            }
            continue;
        }
        serve_in_thread(conn_fd);
    }
}
