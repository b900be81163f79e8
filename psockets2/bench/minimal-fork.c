/* minimal-fork.c - the yardstick for one process per client (make bench).
 *
 * Usage: minimal-fork port
 * A child per client; a SIGCHLD handler reaps them.  A handler, not
 * SIG_IGN: children reaped by the kernel under SIG_IGN leave no trace in
 * the parent's cutime/cstime, and make bench counts the server's CPU.
 */
#include <signal.h>
#include <sys/wait.h>

#include "minimal.h"

static void reap_children(int signo)
{
    int saved_errno = errno;

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
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGCHLD, &action, NULL) < 0)
        errexit("minimal: sigaction SIGCHLD: %s\n", strerror(errno));
    action.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &action, NULL) < 0)
        errexit("minimal: sigaction SIGPIPE: %s\n", strerror(errno));
}

int main(int argc, char *argv[])
{
    int listen_fd = passiveTCP(port_argument(argc, argv), MINIMAL_QLEN);

    install_handlers();
    for (;;) {
        int conn_fd = accept_client(listen_fd);
        pid_t pid = fork();

        if (pid < 0)
            fprintf(stderr, "minimal: fork: %s\n", strerror(errno));
        if (pid == 0) {
            close(listen_fd);
            echo_until_eof(conn_fd);
            _exit(EXIT_SUCCESS);
        }
        if (close(conn_fd) < 0)
            fprintf(stderr, "minimal: close: %s\n", strerror(errno));
    }
}
