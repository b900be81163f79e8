/* minimal-prefork.c - the yardstick for a preforked pool (make bench).
 *
 * Usage: minimal-prefork port
 * WORKERS processes forked ahead of time, as many as solutions/08-prefork
 * starts by default, each looping on accept() on the shared listener.
 * The parent only waits; make bench stops the whole process group.
 */
#include <signal.h>
#include <sys/wait.h>

#include "minimal.h"

#define WORKERS 4

static void serve_forever(int listen_fd)
{
    for (;;) {
        int conn_fd = accept_client(listen_fd);

        echo_until_eof(conn_fd);
        if (close(conn_fd) < 0)
            fprintf(stderr, "minimal: close: %s\n", strerror(errno));
    }
}

int main(int argc, char *argv[])
{
    int listen_fd = passiveTCP(port_argument(argc, argv), MINIMAL_QLEN);
    int worker;

    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        errexit("minimal: signal SIGPIPE: %s\n", strerror(errno));
    for (worker = 0; worker < WORKERS; worker++) {
        pid_t pid = fork();

        if (pid < 0)
            errexit("minimal: fork: %s\n", strerror(errno));
        if (pid == 0)
            serve_forever(listen_fd);
    }
    /* A worker that dies is not replaced: a yardstick, not a service. */
    while (wait(NULL) > 0 || errno == EINTR)
        continue;
    return EXIT_SUCCESS;
}
