/* ok-sigsuspend.c - a correct stage 08 server in another style, which the
 * grader must give full marks (grading/tests/grader-mutants.bats).
 *
 * Usage: ./TCPEchod [-n WORKERS] [port]
 *
 * The same pool as solutions/08-prefork, written differently: no
 * psockets (the listener is built with getaddrinfo), recv/send with
 * MSG_NOSIGNAL instead of ignoring SIGPIPE, and a parent that sleeps in
 * sigsuspend() with handlers that only set flags, instead of sigwait().
 * The workers keep SIGTERM's default action.
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define MAX_WORKERS 64

static volatile sig_atomic_t child_died;
static volatile sig_atomic_t stop_requested;

static void note_child_died(int signo)
{
    (void) signo;
    child_died = 1;
}

static void note_stop(int signo)
{
    (void) signo;
    stop_requested = 1;
}

static int open_listener(const char *port)
{
    struct addrinfo hints, *result;
    int fd, on = 1, off = 0, error;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET6;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    error = getaddrinfo(NULL, port, &hints, &result);
    if (error != 0) {
        fprintf(stderr, "TCPEchod: getaddrinfo: %s\n", gai_strerror(error));
        exit(EXIT_FAILURE);
    }
    fd = socket(result->ai_family, result->ai_socktype, result->ai_protocol);
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0 ||
        bind(fd, result->ai_addr, result->ai_addrlen) < 0 ||
        listen(fd, 32) < 0) {
        perror("TCPEchod: listener");
        exit(EXIT_FAILURE);
    }
    freeaddrinfo(result);
    return fd;
}

static void echo(int conn_fd)
{
    char buf[4096];
    ssize_t got, sent, done;

    while ((got = recv(conn_fd, buf, sizeof buf, 0)) > 0) {
        for (done = 0; done < got; done += sent) {
            sent = send(conn_fd, buf + done, (size_t) (got - done),
                        MSG_NOSIGNAL);
            if (sent < 0) {
                perror("TCPEchod: send");
                return;
            }
        }
    }
    if (got < 0)
        perror("TCPEchod: recv");
}

static void work(int listen_fd, const sigset_t *mask)
{
    if (signal(SIGTERM, SIG_DFL) == SIG_ERR ||
        signal(SIGINT, SIG_DFL) == SIG_ERR ||
        sigprocmask(SIG_SETMASK, mask, NULL) < 0) {
        perror("TCPEchod: worker signals");
        _exit(EXIT_FAILURE);
    }
    for (;;) {
        int conn_fd = accept(listen_fd, NULL, NULL);

        if (conn_fd < 0) {
            if (errno != EINTR && errno != ECONNABORTED) {
                perror("TCPEchod: accept");
                sleep(1);
            }
            continue;
        }
        echo(conn_fd);
        close(conn_fd);
    }
}

int main(int argc, char *argv[])
{
    pid_t workers[MAX_WORKERS] = { 0 };
    int count = 4, listen_fd, option, i;
    const char *port = "8000";
    struct sigaction action;
    sigset_t blocked, old_mask;
    char *end;

    while ((option = getopt(argc, argv, "n:")) != -1) {
        if (option != 'n')
            return EXIT_FAILURE;
        count = (int) strtol(optarg, &end, 10);
        if (*end != '\0' || count < 1 || count > MAX_WORKERS) {
            fprintf(stderr, "TCPEchod: bad worker count \"%s\"\n", optarg);
            return EXIT_FAILURE;
        }
    }
    if (optind < argc)
        port = argv[optind];
    listen_fd = open_listener(port);

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = note_child_died;
    if (sigaction(SIGCHLD, &action, NULL) < 0)
        perror("TCPEchod: sigaction");
    action.sa_handler = note_stop;
    if (sigaction(SIGTERM, &action, NULL) < 0 ||
        sigaction(SIGINT, &action, NULL) < 0)
        perror("TCPEchod: sigaction");
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGCHLD);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    if (sigprocmask(SIG_BLOCK, &blocked, &old_mask) < 0)
        perror("TCPEchod: sigprocmask");

    for (;;) {
        pid_t pid;
        int status;

        for (i = 0; i < count && !stop_requested; i++) {
            if (workers[i] != 0)
                continue;
            workers[i] = fork();
            if (workers[i] < 0) {
                perror("TCPEchod: fork");
                workers[i] = 0;
            } else if (workers[i] == 0) {
                work(listen_fd, &old_mask);
            }
        }
        /* The signals are blocked outside sigsuspend: none is lost
         * between the flags' checks and the sleep. */
        while (!child_died && !stop_requested)
            sigsuspend(&old_mask);
        child_died = 0;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
            for (i = 0; i < count; i++)
                if (workers[i] == pid)
                    workers[i] = 0;
        if (stop_requested)
            break;
    }
    for (i = 0; i < count; i++)
        if (workers[i] != 0 && kill(workers[i], SIGTERM) < 0)
            perror("TCPEchod: kill");
    while (waitpid(-1, NULL, 0) > 0)
        continue;
    return EXIT_SUCCESS;
}
