/* TCPEchod.c - stage 09: a superserver, which runs a program for each
 * client (labs/09-superserver).
 *
 * Usage: ./TCPEchod [-u user] [port [program [arg...]]]
 *        (default port: $LAB_PORT, else 8000 + uid % 1000;
 *         default program: /bin/cat)
 *
 * The server no longer echoes: for each client it forks, makes the
 * connection the child's standard input and output, and execs a program,
 * as inetd does.  The echo service is then just /bin/cat, a filter from
 * descriptor 0 to descriptor 1 that knows nothing of sockets.  The child
 * closes every other descriptor first (the program must not inherit the
 * listener), and, started as root with -u, gives up root before the exec.
 * The parent reaps each child and logs how it ended.
 * Try it:  ./TCPEchod 8080 &   then   echo hi | ../../psockets2/TCPEcho localhost 8080
 *          ./TCPEchod 8080 ../../psockets2/fdreport   (what the program inherits)
 */

/* initgroups() is not POSIX: it comes from BSD, and glibc declares it only
 * when _DEFAULT_SOURCE is defined (the kit's -D_POSIX_C_SOURCE=200809L
 * alone hides it).  It is the one non-POSIX call of this file; the macro
 * must come before any header. */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/wait.h>

#include "psockets.h"

#define QLEN SOMAXCONN          /* backlog: as many as the system allows (lab 06) */
#define LOG_LINE_SIZE 96
#define EXEC_FAILED 127         /* the shell's status for "command not found" */

/* The user the programs run as (-u): looked up once, in the parent. */
struct account {
    const char *name;
    uid_t uid;
    gid_t gid;
};

/* The reaper writes its log lines with write(2): stdio is not
 * async-signal-safe.  These two build a line without it. */
static size_t append_text(char *line, size_t len, const char *text)
{
    while (*text != '\0' && len < LOG_LINE_SIZE - 1)
        line[len++] = *text++;
    return len;
}

static size_t append_number(char *line, size_t len, unsigned long number)
{
    char digits[24];
    size_t count = 0;

    do {
        digits[count++] = (char) ('0' + number % 10);
        number /= 10;
    } while (number > 0);
    while (count > 0 && len < LOG_LINE_SIZE - 1)
        line[len++] = digits[--count];
    return len;
}

/* One line on stderr per child: how its program ended. */
static void log_child_status(pid_t pid, int status)
{
    char line[LOG_LINE_SIZE];
    size_t len = append_text(line, 0, "TCPEchod: child ");

    len = append_number(line, len, (unsigned long) pid);
    if (WIFEXITED(status)) {
        len = append_text(line, len, " exited with status ");
        len = append_number(line, len, (unsigned long) WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        len = append_text(line, len, " killed by signal ");
        len = append_number(line, len, (unsigned long) WTERMSIG(status));
    }
    line[len++] = '\n';
    if (write(STDERR_FILENO, line, len) < 0) {
        /* Nowhere left to report it: the log is gone. */
    }
}

/* Reaps every child that has exited, logging each, and returns without
 * waiting for the others. */
static void reap_children(int signo)
{
    int saved_errno = errno;    /* waitpid and write may change errno */
    int status;
    pid_t pid;

    (void) signo;
    /* SIGCHLD is not queued: reap every child that has exited. */
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        log_child_status(pid, status);
    errno = saved_errno;
}

/* SIGPIPE stays at its default action: the parent never writes to a
 * client, and an ignored signal would stay ignored in every program it
 * execs (a handler, by contrast, is reset by exec). */
static void install_reaper(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = reap_children;
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGCHLD, &action, NULL) < 0)
        errexit("TCPEchod: sigaction SIGCHLD: %s\n", strerror(errno));
}

/* Looks up -u's user once, before any client: the children only switch. */
static void look_up_user(const char *name, struct account *user)
{
    struct passwd *entry;

    if (geteuid() != 0)
        errexit("TCPEchod: -u %s: only root can change user (this is uid"
                " %lu)\n", name, (unsigned long) geteuid());
    errno = 0;
    entry = getpwnam(name);
    if (entry == NULL)
        errexit("TCPEchod: -u %s: %s\n", name,
                errno != 0 ? strerror(errno) : "no such user");
    user->name = name;
    user->uid = entry->pw_uid;
    user->gid = entry->pw_gid;
}

/* In the child, as root: become user for good.  The order matters:
 * setgroups and setgid need root, so they go before setuid, which gives
 * root up.  Each is checked: a program must never run with the privileges
 * we failed to drop. */
static void drop_privileges(const struct account *user)
{
    if (initgroups(user->name, user->gid) < 0) {
        fprintf(stderr, "TCPEchod: initgroups %s: %s\n", user->name, strerror(errno));
        _exit(EXIT_FAILURE);
    }
    if (setgid(user->gid) < 0) {
        fprintf(stderr, "TCPEchod: setgid %lu: %s\n", (unsigned long) user->gid, strerror(errno));
        _exit(EXIT_FAILURE);
    }
    if (setuid(user->uid) < 0) {
        fprintf(stderr, "TCPEchod: setuid %lu: %s\n", (unsigned long) user->uid, strerror(errno));
        _exit(EXIT_FAILURE);
    }
}

/* In the child: the connection becomes standard input and output, every
 * other descriptor of ours goes, and the program replaces us.  Standard
 * error stays the server's: the program's complaints go to the log, not
 * to the client.  Never returns. */
static void run_program(int listen_fd, int conn_fd, const struct account *user,
                        char *program[])
{
    close(listen_fd);           /* the program serves one client only */
    if (dup2(conn_fd, STDIN_FILENO) < 0 || dup2(conn_fd, STDOUT_FILENO) < 0) {
        fprintf(stderr, "TCPEchod: dup2: %s\n", strerror(errno));
        _exit(EXIT_FAILURE);
    }
    /* The connection is now 0 and 1: a third copy would keep it open
     * after the program closes its standard output. */
    if (conn_fd > STDERR_FILENO)
        close(conn_fd);
    if (user != NULL)
        drop_privileges(user);
    execvp(program[0], program);
    /* Only a failed exec returns.  _exit, never return: a child that
     * returned would fall back into the accept loop, a second server.
     * The client sees end-of-file as our copies close. */
    fprintf(stderr, "TCPEchod: execvp %s: %s\n", program[0], strerror(errno));
    _exit(EXEC_FAILED);
}

static void serve_in_child(int listen_fd, int conn_fd,
                           const struct account *user, char *program[])
{
    pid_t pid = fork();

    if (pid < 0)                /* drop this client, keep serving */
        fprintf(stderr, "TCPEchod: fork: %s\n", strerror(errno));
    else if (pid == 0)
        run_program(listen_fd, conn_fd, user, program);
    /* The child has its own copy: ours must go. */
    if (close(conn_fd) < 0)
        fprintf(stderr, "TCPEchod: close: %s\n", strerror(errno));
}

static void usage(FILE *out, const char *port, int status)
{
    fprintf(out, "usage: TCPEchod [-u user] [port [program [arg...]]]\n"
            "Superserver: for each client, runs program (default /bin/cat)"
            " with the connection\nas its standard input and output.  -u:"
            " started as root, run the programs as user.\n"
            "Default port: $LAB_PORT if set, else 8000 + uid %% 1000"
            " (here: %s).\n", port);
    exit(status);
}

int main(int argc, char *argv[])
{
    static char default_program[] = "/bin/cat";
    char *cat_program[] = { default_program, NULL };
    char **program = cat_program;
    const char *port = default_port();
    const char *user_name = NULL;
    struct account user;
    int listen_fd, option;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, port, EXIT_SUCCESS);
    /* "+": stop at the first operand, as POSIX getopt does; glibc's would
     * otherwise take the program's own options (cat -n) for ours. */
    while ((option = getopt(argc, argv, "+u:")) != -1) {
        if (option != 'u')
            usage(stderr, port, EXIT_FAILURE);
        user_name = optarg;
    }
    if (optind < argc)
        port = argv[optind++];
    if (optind < argc)
        program = &argv[optind];
    if (user_name != NULL)
        look_up_user(user_name, &user);

    listen_fd = passiveTCP(port, QLEN);
    install_reaper();
    fprintf(stderr, "TCPEchod: listening on port %s, running %s for each client\n",
            port, program[0]);

    for (;;) {
        int conn_fd = accept(listen_fd, NULL, NULL);

        if (conn_fd < 0) {
            /* EINTR: the reaper ran;  ECONNABORTED: the client left. */
            if (errno != EINTR && errno != ECONNABORTED) {
                fprintf(stderr, "TCPEchod: accept: %s\n", strerror(errno));
                sleep(1);
            }
            continue;
        }
        serve_in_child(listen_fd, conn_fd, user_name != NULL ? &user : NULL, program);
    }
}
