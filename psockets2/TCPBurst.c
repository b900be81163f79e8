/* TCPBurst.c - many clients at once, all leaving at once (psockets2).
 *
 * Usage: TCPBurst [-n N] [-t seconds] [-f] host [port]
 *
 * Opens N connections (default 30) so that all are open together, sends a
 * different line on each ("client K of N"), checks that each connection
 * gets back exactly its own line, then closes all N at once.  It provokes
 * two faults:
 *   - labs/03-reaper: N children exit at the same moment, and their
 *     SIGCHLDs merge into fewer signals (a pending signal is not queued);
 *     a handler that reaps one child per signal leaves zombies;
 *   - labs/05-threads: a server that hands each thread &conn_fd (the
 *     address of a variable the next accept() overwrites) serves some
 *     connection twice and another never: wrong or missing echoes.
 * With -f, each connection instead sends its line and its FIN (shutdown)
 * as soon as it is open, before the next connects: N clients arrive as
 * fast as one process can connect, but each server child can echo, read
 * end-of-file and end at once, so a forking server needs few processes
 * at a time.  labs/06-limits uses it to overflow a small listen backlog.
 * Exits 0 if every connection got its own line back within -t seconds
 * (default 10); otherwise exits 1 saying how many did not.
 *
 * Try it:  ./TCPBurst -n 30 localhost 8080     (with a server running)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>

#include "psockets.h"

#define MAX_CLIENTS 1000
#define LINE_MAX_LEN 32         /* "client 1000 of 1000\n" and room to spare */

struct client {
    int fd;
    char line[LINE_MAX_LEN];    /* what we sent */
    char echo[LINE_MAX_LEN];    /* what came back so far */
    size_t line_len;
    size_t echo_len;
    int done;                   /* whole line back, too much, or closed */
};

static void usage(FILE *out, int status)
{
    fprintf(out, "usage: TCPBurst [-n N] [-t seconds] [-f] host [port]\n"
            "Opens N connections at once (default 30, at most %d), sends"
            " a different line on\neach, checks each gets its own line back"
            " within -t seconds (default 10),\nthen closes them all at"
            " once.  -f: send each line and FIN (shutdown) as soon\nas its"
            " connection is open.\n"
            "Default port: $LAB_PORT if set, else 8000 + uid %% 1000"
            " (here: %s).\n", MAX_CLIENTS, default_port());
    exit(status);
}

static double seconds_now(void)
{
    struct timespec now;

    if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
        errexit("TCPBurst: clock_gettime: %s\n", strerror(errno));
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

static void send_line(const struct client *client, int number)
{
    if (writen(client->fd, client->line, client->line_len) < 0)
        errexit("TCPBurst: write to client %d's connection: %s\n",
                number, strerror(errno));
}

/* All connections first, then all lines: every client is open at once.
 * With finish_at_once (-f), each line and FIN go as soon as the
 * connection is open: nothing more to wait for on the server's side. */
static void connect_all(struct client *clients, int count,
                        const char *host, const char *port,
                        int finish_at_once)
{
    int i;

    for (i = 0; i < count; i++) {
        clients[i].fd = connectTCP(host, port);
        clients[i].line_len = (size_t) snprintf(clients[i].line,
                                                sizeof clients[i].line,
                                                "client %d of %d\n",
                                                i + 1, count);
        if (!finish_at_once)
            continue;
        send_line(&clients[i], i + 1);
        if (shutdown(clients[i].fd, SHUT_WR) < 0)
            errexit("TCPBurst: shutdown client %d's connection: %s\n",
                    i + 1, strerror(errno));
    }
    for (i = 0; i < count && !finish_at_once; i++)
        send_line(&clients[i], i + 1);
}

/* Reads what is there for one client.  A client is done when its whole
 * line is back, when more than the line came back, or at end-of-file. */
static void receive_echo(struct client *client)
{
    size_t room = sizeof client->echo - client->echo_len;
    ssize_t got = read(client->fd, client->echo + client->echo_len, room);

    if (got < 0 && errno == EINTR)
        return;
    if (got <= 0) {
        client->done = 1;       /* closed or broken: the echo is short */
        return;
    }
    client->echo_len += (size_t) got;
    if (client->echo_len >= client->line_len)
        client->done = 1;
}

/* Waits for the echoes, at most timeout_seconds in all. */
static void receive_all(struct client *clients, int count,
                        int timeout_seconds)
{
    static struct pollfd fds[MAX_CLIENTS];
    static int index_of[MAX_CLIENTS];   /* fds[k] belongs to clients[index_of[k]] */
    double give_up = seconds_now() + timeout_seconds;

    for (;;) {
        int waiting = 0;
        int ready;
        int i;
        int k;

        for (i = 0; i < count; i++) {
            if (clients[i].done)
                continue;
            fds[waiting].fd = clients[i].fd;
            fds[waiting].events = POLLIN;
            index_of[waiting] = i;
            waiting++;
        }
        if (waiting == 0 || seconds_now() >= give_up)
            return;
        ready = poll(fds, (nfds_t) waiting,
                     (int) ((give_up - seconds_now()) * 1000) + 1);
        if (ready < 0 && errno != EINTR)
            errexit("TCPBurst: poll: %s\n", strerror(errno));
        for (k = 0; k < waiting && ready > 0; k++)
            if (fds[k].revents != 0)
                receive_echo(&clients[index_of[k]]);
    }
}

static int got_own_line(const struct client *client)
{
    return client->echo_len == client->line_len
        && memcmp(client->echo, client->line, client->line_len) == 0;
}

int main(int argc, char *argv[])
{
    static struct client clients[MAX_CLIENTS];
    const char *port = default_port();
    int count = 30;
    int timeout_seconds = 10;
    int finish_at_once = 0;
    int wrong = 0;
    int missing = 0;
    int option;
    int i;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, EXIT_SUCCESS);
    while ((option = getopt(argc, argv, "n:t:f")) != -1) {
        if (option == 'n')
            count = number_in_range("TCPBurst", "count", optarg, MAX_CLIENTS);
        else if (option == 't')
            timeout_seconds = number_in_range("TCPBurst", "timeout", optarg, 3600);
        else if (option == 'f')
            finish_at_once = 1;
        else
            usage(stderr, EXIT_FAILURE);
    }
    if (argc - optind < 1 || argc - optind > 2)
        usage(stderr, EXIT_FAILURE);
    if (argc - optind == 2)
        port = argv[optind + 1];

    /* A server that closes early must give a message, not kill us. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        errexit("TCPBurst: signal SIGPIPE: %s\n", strerror(errno));

    connect_all(clients, count, argv[optind], port, finish_at_once);
    receive_all(clients, count, timeout_seconds);

    for (i = 0; i < count; i++) {
        if (clients[i].echo_len == 0)
            missing++;
        else if (!got_own_line(&clients[i]))
            wrong++;
    }
    /* Close them back to back, so the server's children exit together. */
    for (i = 0; i < count; i++)
        close(clients[i].fd);

    if (wrong + missing > 0)
        errexit("TCPBurst: %d of %d clients got a wrong echo and %d got"
                " no echo within %d s\n", wrong, count, missing,
                timeout_seconds);
    printf("TCPBurst: all %d clients got their own line back\n", count);
    return EXIT_SUCCESS;
}
