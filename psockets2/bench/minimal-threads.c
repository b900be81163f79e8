/* minimal-threads.c - the yardstick for one thread per client (make bench).
 *
 * Usage: minimal-threads port
 * A detached thread per client; the descriptor travels in the pointer's
 * own heap cell.
 */
#include <pthread.h>
#include <signal.h>

#include "minimal.h"

static void *serve_client(void *conn_cell)
{
    int conn_fd = *(int *) conn_cell;

    free(conn_cell);
    echo_until_eof(conn_fd);
    if (close(conn_fd) < 0)
        fprintf(stderr, "minimal: close: %s\n", strerror(errno));
    return NULL;
}

static void serve_in_thread(int conn_fd)
{
    pthread_t thread;
    int *conn_cell = malloc(sizeof *conn_cell);
    int error;

    if (conn_cell == NULL) {
        fprintf(stderr, "minimal: malloc: %s\n", strerror(errno));
        close(conn_fd);
        return;
    }
    *conn_cell = conn_fd;
    error = pthread_create(&thread, NULL, serve_client, conn_cell);
    if (error != 0) {
        fprintf(stderr, "minimal: pthread_create: %s\n", strerror(error));
        free(conn_cell);
        close(conn_fd);
        return;
    }
    error = pthread_detach(thread);
    if (error != 0)
        fprintf(stderr, "minimal: pthread_detach: %s\n", strerror(error));
}

int main(int argc, char *argv[])
{
    int listen_fd = passiveTCP(port_argument(argc, argv), MINIMAL_QLEN);

    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        errexit("minimal: signal SIGPIPE: %s\n", strerror(errno));
    for (;;)
        serve_in_thread(accept_client(listen_fd));
}
