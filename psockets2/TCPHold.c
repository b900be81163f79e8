/* TCPHold.c - clients that stay connected (psockets2).
 *
 * Usage: TCPHold [-n N] [-s seconds] [-e] host [port]
 *
 * Opens N connections (default 10) and keeps them open for -s seconds
 * (default 30), then closes them; SIGTERM or SIGINT (Ctrl-C) ends the wait
 * early and still closes them cleanly.  Meanwhile you can watch the server
 * with many clients at once (labs/01-sequential, labs/02-fork):
 *     ps -o pid,ppid,stat,cmd --ppid <server pid>    one child per client?
 *     netstat -tan | grep 8080                       N times ESTABLISHED
 * With -e, each connection first checks that it is echoed (a line sent,
 * the same line back within 10 s): a sequential server fails this, as it
 * serves only the first client.
 * Prints "holding N connections" once all are connected (and echoed).
 *
 * Try it:  ./TCPHold -n 5 -s 60 localhost 8080
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "psockets.h"

#define MAX_CONNECTIONS 1000
#define ECHO_TIMEOUT_MS 10000

static volatile sig_atomic_t asked_to_stop;

static void note_stop_request(int signo)
{
    (void) signo;
    asked_to_stop = 1;          /* main notices when sleep() is interrupted */
}

static void usage(FILE *out, int status)
{
    fprintf(out, "usage: TCPHold [-n N] [-s seconds] [-e] host [port]\n"
            "Opens N connections (default 10, at most %d) and holds them"
            " open for -s seconds\n(default 30, at most 3600), or until"
            " SIGTERM/SIGINT.  -e: first check each\nconnection echoes a"
            " line.\n"
            "Default port: $LAB_PORT if set, else 8000 + uid %% 1000"
            " (here: %s).\n", MAX_CONNECTIONS, default_port());
    exit(status);
}

static void install_stop_handlers(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = note_stop_request;
    action.sa_flags = 0;        /* no SA_RESTART: sleep() must return */
    if (sigaction(SIGTERM, &action, NULL) < 0)
        errexit("TCPHold: sigaction SIGTERM: %s\n", strerror(errno));
    if (sigaction(SIGINT, &action, NULL) < 0)
        errexit("TCPHold: sigaction SIGINT: %s\n", strerror(errno));

    /* A server that closes early must give a message, not kill us. */
    action.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &action, NULL) < 0)
        errexit("TCPHold: sigaction SIGPIPE: %s\n", strerror(errno));
}

/* Sends a line on one connection and waits for the same line back. */
static void check_echo(int fd, int number)
{
    char line[64];
    char echo[64];
    size_t len = (size_t) snprintf(line, sizeof line,
                                   "TCPHold connection %d\n", number);
    size_t received = 0;

    if (writen(fd, line, len) < 0)
        errexit("TCPHold: write on connection %d: %s\n", number,
                strerror(errno));
    while (received < len) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        int ready = poll(&pfd, 1, ECHO_TIMEOUT_MS);
        ssize_t got;

        if (ready < 0 && errno == EINTR && asked_to_stop)
            errexit("TCPHold: stopped while connection %d waited for its"
                    " echo\n", number);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            errexit("TCPHold: poll: %s\n", strerror(errno));
        if (ready == 0)
            errexit("TCPHold: connection %d: no echo within %d s\n",
                    number, ECHO_TIMEOUT_MS / 1000);
        got = read(fd, echo + received, len - received);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            errexit("TCPHold: connection %d: the server closed before"
                    " echoing\n", number);
        received += (size_t) got;
    }
    if (memcmp(echo, line, len) != 0)
        errexit("TCPHold: connection %d: the echo differs from the line"
                " sent\n", number);
}

/* sleep() returns early when a signal arrives: then we stop. */
static void hold_for(int seconds)
{
    time_t until = time(NULL) + seconds;
    time_t now;

    while (!asked_to_stop && (now = time(NULL)) < until)
        sleep((unsigned) (until - now));
}

int main(int argc, char *argv[])
{
    static int fds[MAX_CONNECTIONS];
    const char *port = default_port();
    int count = 10;
    int seconds = 30;
    int check_echoes = 0;
    int option;
    int i;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, EXIT_SUCCESS);
    while ((option = getopt(argc, argv, "n:s:e")) != -1) {
        if (option == 'n')
            count = number_in_range("TCPHold", "count", optarg, MAX_CONNECTIONS);
        else if (option == 's')
            seconds = number_in_range("TCPHold", "time", optarg, 3600);
        else if (option == 'e')
            check_echoes = 1;
        else
            usage(stderr, EXIT_FAILURE);
    }
    if (argc - optind < 1 || argc - optind > 2)
        usage(stderr, EXIT_FAILURE);
    if (argc - optind == 2)
        port = argv[optind + 1];

    install_stop_handlers();
    for (i = 0; i < count; i++)
        fds[i] = connectTCP(argv[optind], port);
    for (i = 0; i < count && check_echoes; i++)
        check_echo(fds[i], i + 1);

    printf("holding %d connections\n", count);
    if (fflush(stdout) == EOF)  /* tests wait for this line */
        errexit("TCPHold: write standard output: %s\n", strerror(errno));

    hold_for(seconds);
    for (i = 0; i < count; i++)
        close(fds[i]);
    return EXIT_SUCCESS;
}
