/* minimal-superserver.c - the yardstick for a superserver (make bench).
 *
 * Usage: minimal-superserver port
 * A child per client that makes the connection its standard input and
 * output and execs /bin/cat; a SIGCHLD handler reaps them.
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

static void run_cat(int listen_fd, int conn_fd)
{
    close(listen_fd);
    if (dup2(conn_fd, STDIN_FILENO) < 0 || dup2(conn_fd, STDOUT_FILENO) < 0) {
        fprintf(stderr, "minimal: dup2: %s\n", strerror(errno));
        _exit(EXIT_FAILURE);
    }
    if (conn_fd > STDERR_FILENO)
        close(conn_fd);
    execl("/bin/cat", "cat", (char *) NULL);
    fprintf(stderr, "minimal: execl /bin/cat: %s\n", strerror(errno));
    _exit(127);
}

int main(int argc, char *argv[])
{
    int listen_fd = passiveTCP(port_argument(argc, argv), MINIMAL_QLEN);
    struct sigaction action;

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = reap_children;
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGCHLD, &action, NULL) < 0)
        errexit("minimal: sigaction SIGCHLD: %s\n", strerror(errno));
    for (;;) {
        int conn_fd = accept_client(listen_fd);
        pid_t pid = fork();

        if (pid < 0)
            fprintf(stderr, "minimal: fork: %s\n", strerror(errno));
        if (pid == 0)
            run_cat(listen_fd, conn_fd);
        if (close(conn_fd) < 0)
            fprintf(stderr, "minimal: close: %s\n", strerror(errno));
    }
}
