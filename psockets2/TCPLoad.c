/* TCPLoad.c - a load generator for echo servers (psockets2, make bench).
 *
 * Usage: TCPLoad [-m rate|bulk|hold] [-c clients] [-t seconds] [-r bytes]
 *                [-p server_pid] [-j threads] host [port]
 *
 * Drives an echo server with many clients from one process (non-blocking
 * sockets and poll(): 64 clients cost a thread or two, not 64), checks
 * every byte that comes back, and prints one line of figures.  Rate and
 * bulk modes share their clients among -j threads (default: one per CPU,
 * so that the load generator is not what limits a fast server).  Modes:
 *   rate  C clients (-c, default 8) each connect, send a request of -r
 *         bytes (default 64), shut down their side, read the echo to
 *         end-of-file and start again, for -t seconds (default 5):
 *         connections per second and the latency (connect to end-of-file)
 *         at the 50th and 99th percentiles;
 *   bulk  C long connections (default 1) stream -r bytes per write
 *         (default 65536) for -t seconds: megabytes echoed per second;
 *   hold  C clients (default 100) connect at once, each sends a line and
 *         waits for its echo: how many are held (connected and echoed)
 *         within -t seconds, how long that took, and whether every held
 *         client still echoes a second line while all are open.
 * Every byte is checked: each connection sends its own pseudo-random
 * stream, so an echo from another connection is caught too.  Errors are
 * counted by kind: refused, connect (any other connect failure), reset,
 * closed_early (end-of-file before the whole echo), corrupt (a wrong or
 * extra byte), timeout (no answer within 10 s, or by the end of the run).
 * With -p, the server's CPU time over the run is read from /proc: its own,
 * its reaped children's (cutime, cstime) and its children's not reaped
 * yet (their own stat, or a zombie's schedstat); rate mode divides it by
 * the connections.
 *
 * Output, one line of name=value pairs (make bench reads them with awk):
 *   mode=rate clients=8 seconds=5.00 connections=41234 conn_per_s=8246.8
 *   p50_ms=0.912 p99_ms=2.310 bytes=2639000 mb_per_s=0.53 held=0 hold_s=0.000
 *   still_echoing=0 errors=0 refused=0 connect=0 reset=0 closed_early=0
 *   corrupt=0 timeout=0 server_cpu_ms=4210 cpu_us_per_conn=102.1
 * Exits 0 when there was no error, 1 otherwise (or on bad options).
 *
 * Try it:  ../psockets2/TCPEchod 8080 &
 *          ./TCPLoad -m rate -c 8 -t 2 -p $! localhost 8080
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/resource.h>
#include <sys/socket.h>

#include "psockets.h"

#define MAX_CLIENTS 10000
#define MAX_THREADS 64
#define MAX_REQUEST (1024 * 1024)       /* rate mode's largest request */
#define MAX_CHUNK 65536                 /* bulk mode's largest write */
#define PATTERN_PERIOD 65537            /* prime: streams never line up */
#define HOLD_LINE 32                    /* bytes each held client sends */
#define IO_TIMEOUT 10.0                 /* seconds without an answer */
#define DRAIN_TIME 5.0                  /* after -t, for the last echoes */
#define MAX_SAMPLES (1 << 22)           /* latencies kept for percentiles */
#define CHILDREN_SETTLE_NS 100000000L   /* 0.1 s for children to exit */

enum mode { RATE, BULK, HOLD };
enum error_kind { REFUSED, CONNECT, RESET, CLOSED_EARLY, CORRUPT, TIMEOUT,
                  ERROR_KINDS };
static const char *const error_names[ERROR_KINDS] = {
    "refused", "connect", "reset", "closed_early", "corrupt", "timeout"
};

enum stage { IDLE, CONNECTING, TALKING, HELD };

/* One client connection and how far its echo has come. */
struct client {
    int fd;
    enum stage stage;
    unsigned long serial;       /* picks this connection's stream */
    size_t length;              /* bytes to send; SIZE_MAX: until told */
    size_t sent;
    size_t received;            /* echoed and checked */
    int half_close;             /* FIN once all is sent (rate, bulk) */
    int fin_sent;
    double started;             /* for the latency */
    double last_progress;       /* for the timeout */
};

struct settings {
    enum mode mode;
    int clients;
    double seconds;
    size_t request;
    long server_pid;            /* 0: no CPU figures */
    int threads;                /* -j: rate and bulk modes */
    struct addrinfo *address;
};

/* What one thread measured; merged into one at the end. */
struct results {
    unsigned long connections;  /* completed within the run */
    unsigned long long bytes;   /* echoed and checked within the run */
    unsigned long errors[ERROR_KINDS];
    uint32_t *latencies_us;
    size_t samples, capacity;
    int held, still_echoing;
    double hold_seconds;
};

/* byte i of a stream starting at offset is pattern[offset + i % PERIOD]:
 * twice the period long, so any chunk up to one period is contiguous. */
static unsigned char pattern[2 * PATTERN_PERIOD];

/* One thread of the load: its share of the clients and what it saw. */
struct worker {
    pthread_t thread;
    const struct settings *run;
    struct client *clients;
    int count;
    unsigned long next_serial;  /* this thread's connections: first, */
    unsigned long serial_step;  /* then every serial_step-th */
    double end;                 /* start no request after this */
    double io_timeout;          /* seconds without an answer: timeout */
    int held;                   /* hold mode: clients whose line is back */
    struct pollfd *fds;         /* poll()'s array, one per client */
    int *index_of;              /* fds[k] is clients[index_of[k]] */
    struct results results;
};

/* One thread per CPU: on a 2-core machine the server gets its share. */
static int default_threads(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    if (cpus < 1)
        return 1;
    return cpus > MAX_THREADS ? MAX_THREADS : (int) cpus;
}

static void usage(FILE *out, int status)
{
    fprintf(out, "usage: TCPLoad [-m rate|bulk|hold] [-c clients] [-t seconds]"
            " [-r bytes] [-p server_pid]\n               [-j threads] host [port]\n"
            "Load for an echo server; every byte of every echo is checked.\n"
            "  rate: -c clients (default 8) connect, send -r bytes (default"
            " 64), read the echo,\n        again, for -t seconds (default 5):"
            " connections/s, latency p50/p99\n"
            "  bulk: -c connections (default 1) stream -r bytes a write"
            " (default 65536): MB/s\n"
            "  hold: -c clients (default 100) connect at once: how many echo"
            " within -t s\n"
            "-p: the server's PID, for its CPU time (its children's"
            " included).\n-j: threads for rate and bulk (default: one per"
            " CPU, here %d).\nAt most %d clients, %d seconds.\n"
            "Default port: $LAB_PORT if set, else 8000 + uid %% 1000"
            " (here: %s).\n", default_threads(), MAX_CLIENTS, 3600,
            default_port());
    exit(status);
}

static double seconds_now(void)
{
    struct timespec now;

    if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
        errexit("TCPLoad: clock_gettime: %s\n", strerror(errno));
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

/* -t takes fractions ("0.5"), which number_in_range() does not. */
static double parse_seconds(const char *text)
{
    char *end;
    double seconds;

    errno = 0;
    seconds = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(seconds >= 0.05)
        || seconds > 3600)
        errexit("TCPLoad: bad time \"%s\": give seconds from 0.05 to 3600\n",
                text);
    return seconds;
}

static enum mode parse_mode(const char *text)
{
    if (strcmp(text, "rate") == 0)
        return RATE;
    if (strcmp(text, "bulk") == 0)
        return BULK;
    if (strcmp(text, "hold") == 0)
        return HOLD;
    errexit("TCPLoad: bad mode \"%s\": give rate, bulk or hold\n", text);
}

/* A fixed pseudo-random sequence (xorshift32): repeatable, and no two
 * nearby stretches alike, so a shifted or foreign echo never matches. */
static void fill_pattern(void)
{
    uint32_t state = 2463534242u;
    size_t i;

    for (i = 0; i < sizeof pattern; i++) {
        if (i < PATTERN_PERIOD) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            pattern[i] = (unsigned char) state;
        } else {
            pattern[i] = pattern[i - PATTERN_PERIOD];
        }
    }
}

static const unsigned char *stream_at(const struct client *client,
                                      size_t position)
{
    return pattern + (client->serial * 7919 + position) % PATTERN_PERIOD;
}

/* --- the server's CPU time, from /proc ------------------------------------ */

/* Reads the first line of /proc/PID/NAME into line; 0 if there is none. */
static int read_proc_line(const char *pid_text, const char *name, char *line,
                          int size)
{
    char path[64];
    FILE *file;
    int found;

    snprintf(path, sizeof path, "/proc/%s/%s", pid_text, name);
    file = fopen(path, "r");
    if (file == NULL)
        return 0;
    found = fgets(line, size, file) != NULL;
    fclose(file);
    return found;
}

/* Reads the CPU time (in seconds) of one process: its own, and its
 * reaped children's (cutime + cstime).  Returns its parent's PID, or -1
 * if it is gone. */
static long read_cpu_seconds(const char *pid_text, double *own, double *reaped)
{
    char line[1024];
    unsigned long long utime, stime, cutime, cstime, run_ns;
    double ticks_per_second = (double) sysconf(_SC_CLK_TCK);
    const char *after_name;
    char state;
    long ppid;

    if (!read_proc_line(pid_text, "stat", line, sizeof line))
        return -1;
    /* The command name may hold spaces and ')': skip past its last ')'. */
    after_name = strrchr(line, ')');
    if (after_name == NULL
        || sscanf(after_name + 1, " %c %ld %*d %*d %*d %*d %*u %*u %*u"
                  " %*u %*u %llu %llu %llu %llu", &state, &ppid, &utime,
                  &stime, &cutime, &cstime) != 6)
        return -1;
    *own = (double) (utime + stime) / ticks_per_second;
    *reaped = (double) (cutime + cstime) / ticks_per_second;
    /* Linux shows a zombie's utime and stime as 0, but its schedstat
     * still holds the nanoseconds it ran: stage 02 never reaps. */
    if (state == 'Z' && read_proc_line(pid_text, "schedstat", line, sizeof line)
        && sscanf(line, "%llu", &run_ns) == 1)
        *own = (double) run_ns / 1e9;
    return ppid;
}

/* The server's CPU time so far, in seconds: its own and its reaped
 * children's, plus every child's not reaped yet, live or zombie (each
 * one's own reaped children included). */
static double server_cpu_seconds(long server_pid)
{
    char pid_text[32];
    double own, reaped, total;
    struct dirent *entry;
    DIR *proc;

    snprintf(pid_text, sizeof pid_text, "%ld", server_pid);
    if (read_cpu_seconds(pid_text, &own, &reaped) < 0)
        errexit("TCPLoad: -p %ld: no such process (/proc/%ld/stat)\n",
                server_pid, server_pid);
    total = own + reaped;
    proc = opendir("/proc");
    if (proc == NULL)
        errexit("TCPLoad: opendir /proc: %s\n", strerror(errno));
    while ((entry = readdir(proc)) != NULL) {
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
            continue;           /* not a process */
        if (read_cpu_seconds(entry->d_name, &own, &reaped) == server_pid)
            total += own + reaped;
    }
    closedir(proc);
    return total;
}

/* --- one client ------------------------------------------------------------ */

static void count_error(struct worker *w, enum error_kind kind)
{
    w->results.errors[kind]++;
}

static void record_latency(struct results *results, double seconds)
{
    if (results->samples == results->capacity) {
        size_t capacity = results->capacity == 0 ? 4096 : 2 * results->capacity;
        uint32_t *grown;

        if (capacity > MAX_SAMPLES)
            return;             /* enough for the percentiles */
        grown = realloc(results->latencies_us, capacity * sizeof *grown);
        if (grown == NULL)
            errexit("TCPLoad: realloc: %s\n", strerror(errno));
        results->latencies_us = grown;
        results->capacity = capacity;
    }
    results->latencies_us[results->samples++] = (uint32_t) (seconds * 1e6);
}

static void close_client(struct client *client)
{
    if (close(client->fd) < 0)
        errexit("TCPLoad: close: %s\n", strerror(errno));
    client->fd = -1;
    client->stage = IDLE;
}

/* Starts a non-blocking connect: on loopback it may be done at once. */
static void start_client(struct worker *w, struct client *client,
                         size_t length)
{
    const struct settings *run = w->run;
    unsigned long serial = w->next_serial;
    /* A held client keeps its side open: the server must not see EOF. */
    int half_close = run->mode != HOLD;
    const struct addrinfo *address = run->address;
    int fd = socket(address->ai_family, SOCK_STREAM, 0);

    if (fd < 0)
        errexit("TCPLoad: socket: %s%s\n", strerror(errno),
                errno == EMFILE ? " (raise ulimit -n)" : "");
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
        errexit("TCPLoad: fcntl O_NONBLOCK: %s\n", strerror(errno));
    memset(client, 0, sizeof *client);
    client->fd = fd;
    client->serial = serial;
    w->next_serial += w->serial_step;
    client->length = length;
    client->half_close = half_close;
    client->started = client->last_progress = seconds_now();
    client->stage = CONNECTING;
    if (connect(fd, address->ai_addr, address->ai_addrlen) == 0) {
        client->stage = TALKING;
    } else if (errno != EINPROGRESS) {
        count_error(w, errno == ECONNREFUSED ? REFUSED : CONNECT);
        close_client(client);
    }
}

/* A connect in progress has ended: did it work? */
static void finish_connect(struct worker *w, struct client *client)
{
    int error = 0;
    socklen_t length = sizeof error;

    if (getsockopt(client->fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
        errexit("TCPLoad: getsockopt SO_ERROR: %s\n", strerror(errno));
    if (error == EINPROGRESS || error == EALREADY)
        return;
    if (error != 0) {
        count_error(w, error == ECONNREFUSED ? REFUSED : CONNECT);
        close_client(client);
        return;
    }
    client->stage = TALKING;
}

/* An error on a connection that was talking: the peer reset it, or
 * something stranger (counted as a reset too: the connection broke). */
static void fail_client(struct worker *w, struct client *client)
{
    count_error(w, RESET);
    close_client(client);
}

/* Sends as much of the stream as the socket takes now.  When all of a
 * rate request is out, our FIN tells the server the request is over. */
static void send_some(struct worker *w, struct client *client, size_t chunk)
{
    int writes;

    /* Bounded: a fast server must not keep us here forever. */
    for (writes = 0; writes < 16 && client->sent < client->length; writes++) {
        size_t left = client->length - client->sent;
        size_t size = left < chunk ? left : chunk;
        ssize_t written = write(client->fd, stream_at(client, client->sent),
                                size);

        if (written < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            fail_client(w, client);
            return;
        }
        client->sent += (size_t) written;
    }
    if (client->half_close && client->sent == client->length
        && client->length != SIZE_MAX && !client->fin_sent) {
        if (shutdown(client->fd, SHUT_WR) < 0) {
            fail_client(w, client);
            return;
        }
        client->fin_sent = 1;
    }
}

/* Reads what has come back and checks it byte for byte.  Returns 1 when
 * the echo is complete: end-of-file after exactly what we sent (rate,
 * bulk) or the whole line back (hold, which never sends a FIN). */
static int receive_some(struct worker *w, struct client *client, int counting)
{
    unsigned char buffer[MAX_CHUNK];
    size_t room = PATTERN_PERIOD < sizeof buffer ? PATTERN_PERIOD : sizeof buffer;
    int reads;

    /* Bounded: a fast server must not keep us here forever. */
    for (reads = 0; reads < 16; reads++) {
        ssize_t got = read(client->fd, buffer, room);

        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return 0;
            fail_client(w, client);
            return 0;
        }
        if (got == 0) {
            if (client->received == client->sent && client->fin_sent)
                return 1;
            count_error(w, CLOSED_EARLY);
            close_client(client);
            return 0;
        }
        if (client->received + (size_t) got > client->sent
            || memcmp(buffer, stream_at(client, client->received),
                      (size_t) got) != 0) {
            count_error(w, CORRUPT);
            close_client(client);
            return 0;
        }
        client->received += (size_t) got;
        client->last_progress = seconds_now();
        if (counting)
            w->results.bytes += (unsigned long long) got;
        if (!client->half_close && client->received == client->length)
            return 1;           /* hold: the line is back, no FIN sent */
    }
    return 0;
}

/* --- the poll loop ---------------------------------------------------------- */

/* What each busy client waits for: the end of its connect, room to send,
 * or its echo. */
static int gather_pollfds(struct client *clients, int count,
                          struct pollfd *fds, int *index_of)
{
    int waiting = 0;
    int i;

    for (i = 0; i < count; i++) {
        struct client *client = &clients[i];

        if (client->stage == IDLE || client->stage == HELD)
            continue;           /* a held client waits for the next round */
        fds[waiting].fd = client->fd;
        if (client->stage == CONNECTING)
            fds[waiting].events = POLLOUT;
        else
            fds[waiting].events = (short) (POLLIN
                | (client->sent < client->length ? POLLOUT : 0));
        fds[waiting].revents = 0;
        index_of[waiting++] = i;
    }
    return waiting;
}

/* One poll() over every busy client, at most wait_ms.  Calls done() for
 * each client whose echo is complete.  Returns the number of busy ones. */
static int step_clients(struct worker *w, size_t chunk, int wait_ms,
                        int counting, void (*done)(struct worker *, int))
{
    struct client *clients = w->clients;
    struct pollfd *fds = w->fds;
    int *index_of = w->index_of;
    int waiting = gather_pollfds(clients, w->count, fds, index_of);
    int ready, k;
    double now;

    if (waiting == 0)
        return 0;
    ready = poll(fds, (nfds_t) waiting, wait_ms);
    if (ready < 0 && errno != EINTR)
        errexit("TCPLoad: poll: %s\n", strerror(errno));
    for (k = 0; k < waiting && ready > 0; k++) {
        struct client *client = &clients[index_of[k]];

        if (fds[k].revents == 0)
            continue;
        if (client->stage == CONNECTING)
            finish_connect(w, client);
        if (client->stage != IDLE && client->sent < client->length)
            send_some(w, client, chunk);
        if (client->stage != IDLE && (fds[k].revents & ~POLLOUT) != 0
            && receive_some(w, client, counting))
            done(w, index_of[k]);
    }
    now = seconds_now();
    for (k = 0; k < waiting; k++) {
        struct client *client = &clients[index_of[k]];

        if (client->stage != IDLE
            && now - client->last_progress > w->io_timeout) {
            count_error(w, TIMEOUT);
            close_client(client);
        }
    }
    return waiting;
}

/* Counts whatever is still busy (not idle, not held) as a timeout, and
 * closes it. */
static void give_up_on(struct worker *w)
{
    int i;

    for (i = 0; i < w->count; i++)
        if (w->clients[i].stage != IDLE && w->clients[i].stage != HELD) {
            count_error(w, TIMEOUT);
            close_client(&w->clients[i]);
        }
}

static int ms_until(double deadline)
{
    double left = deadline - seconds_now();

    if (left <= 0)
        return 0;
    return left > 0.1 ? 100 : (int) (left * 1000) + 1;
}

/* Adds one thread's figures to the total (latencies appended). */
static void merge_results(struct results *total, const struct results *part)
{
    size_t i;
    int kind;

    total->connections += part->connections;
    total->bytes += part->bytes;
    for (kind = 0; kind < ERROR_KINDS; kind++)
        total->errors[kind] += part->errors[kind];
    for (i = 0; i < part->samples; i++)
        record_latency(total, part->latencies_us[i] / 1e6);
    free(part->latencies_us);
    total->held += part->held;
    total->still_echoing += part->still_echoing;
    if (part->hold_seconds > total->hold_seconds)
        total->hold_seconds = part->hold_seconds;
}

/* --- rate mode ---------------------------------------------------------- */

/* A request's echo came back whole: count it and start the next. */
static void next_request(struct worker *w, int slot)
{
    struct client *client = &w->clients[slot];
    double now = seconds_now();

    if (now <= w->end) {
        w->results.connections++;
        record_latency(&w->results, now - client->started);
    }
    close_client(client);
    if (now < w->end)
        start_client(w, client, w->run->request);
}

static void run_rate(struct worker *w)
{
    double drain_end;
    int i;

    for (i = 0; i < w->count; i++)
        start_client(w, &w->clients[i], w->run->request);
    while (seconds_now() < w->end) {
        step_clients(w, MAX_CHUNK, ms_until(w->end), 1, next_request);
        /* A failed connect or a broken echo leaves its slot idle:
         * restart it, so C clients stay busy. */
        for (i = 0; i < w->count; i++)
            if (w->clients[i].stage == IDLE && seconds_now() < w->end)
                start_client(w, &w->clients[i], w->run->request);
    }
    drain_end = w->end + DRAIN_TIME;
    while (seconds_now() < drain_end
           && step_clients(w, MAX_CHUNK, ms_until(drain_end), 0,
                           next_request) > 0)
        continue;
    give_up_on(w);
}

/* --- bulk mode ---------------------------------------------------------- */

static void end_of_stream(struct worker *w, int slot)
{
    close_client(&w->clients[slot]);    /* all echoed, then end-of-file */
}

static void run_bulk(struct worker *w)
{
    size_t chunk = w->run->request;
    double drain_end;
    int i;

    for (i = 0; i < w->count; i++)
        start_client(w, &w->clients[i], SIZE_MAX);
    while (seconds_now() < w->end
           && step_clients(w, chunk, ms_until(w->end), 1, end_of_stream) > 0)
        continue;
    /* Time's up: send no more, and take the rest of each echo. */
    for (i = 0; i < w->count; i++) {
        if (w->clients[i].stage != TALKING)
            continue;
        w->clients[i].length = w->clients[i].sent;
        send_some(w, &w->clients[i], chunk);    /* sends only the FIN */
    }
    drain_end = seconds_now() + DRAIN_TIME;
    while (seconds_now() < drain_end
           && step_clients(w, chunk, ms_until(drain_end), 0,
                           end_of_stream) > 0)
        continue;
    give_up_on(w);
}

/* --- hold mode ---------------------------------------------------------- */

static void line_back(struct worker *w, int slot)
{
    w->clients[slot].stage = HELD;      /* stays open, unwatched */
    w->held++;
}

/* Each held client sends a second line while all are open, and waits
 * for it.  Returns how many echoed it within the time limit. */
static int check_still_echoing(struct worker *w)
{
    double deadline = seconds_now() + w->run->seconds;
    int i;

    w->held = 0;
    for (i = 0; i < w->count; i++) {
        if (w->clients[i].stage != HELD)
            continue;
        w->clients[i].stage = TALKING;
        w->clients[i].length += HOLD_LINE;
        send_some(w, &w->clients[i], HOLD_LINE);
    }
    while (seconds_now() < deadline
           && step_clients(w, HOLD_LINE, ms_until(deadline), 0, line_back) > 0)
        continue;
    return w->held;
}

/* One thread: the clients must all be open at once, and poll() watches
 * a thousand descriptors easily. */
static void run_hold(struct worker *w)
{
    double started = seconds_now();
    double deadline = started + w->run->seconds;
    int i;

    w->io_timeout = 2 * w->run->seconds + 1;    /* the deadlines come first */
    /* All at once: every connect is issued before any echo is awaited. */
    for (i = 0; i < w->count; i++)
        start_client(w, &w->clients[i], HOLD_LINE);
    while (seconds_now() < deadline && w->held < w->count
           && step_clients(w, HOLD_LINE, ms_until(deadline), 0, line_back) > 0)
        continue;
    w->results.held = w->held;
    w->results.hold_seconds = seconds_now() - started;
    /* Not held in time is the figure, not an error: a sequential server
     * holds one client and queues the rest. */
    for (i = 0; i < w->count; i++)
        if (w->clients[i].stage != HELD && w->clients[i].stage != IDLE)
            close_client(&w->clients[i]);
    w->results.still_echoing = check_still_echoing(w);
    give_up_on(w);
    for (i = 0; i < w->count; i++)
        if (w->clients[i].stage == HELD)
            close_client(&w->clients[i]);
}

static void *run_worker(void *worker)
{
    struct worker *w = worker;

    if (w->run->mode == RATE)
        run_rate(w);
    else if (w->run->mode == BULK)
        run_bulk(w);
    else
        run_hold(w);
    return NULL;
}

/* Shares the clients among the threads, runs them, and merges what each
 * measured into total. */
static void run_load(const struct settings *run, struct results *total)
{
    static struct client clients[MAX_CLIENTS];
    static struct pollfd fds[MAX_CLIENTS];
    static int index_of[MAX_CLIENTS];
    static struct worker workers[MAX_THREADS];
    double end = seconds_now() + run->seconds;
    int threads = run->mode == HOLD ? 1
        : run->threads < run->clients ? run->threads : run->clients;
    int first = 0, t, error;

    for (t = 0; t < threads; t++) {
        struct worker *w = &workers[t];

        w->run = run;
        w->count = run->clients / threads + (t < run->clients % threads);
        w->clients = clients + first;
        w->fds = fds + first;
        w->index_of = index_of + first;
        w->next_serial = (unsigned long) t;
        w->serial_step = (unsigned long) threads;
        w->end = end;
        w->io_timeout = IO_TIMEOUT;
        first += w->count;
        error = pthread_create(&w->thread, NULL, run_worker, w);
        if (error != 0)
            errexit("TCPLoad: pthread_create: %s\n", strerror(error));
    }
    for (t = 0; t < threads; t++) {
        error = pthread_join(workers[t].thread, NULL);
        if (error != 0)
            errexit("TCPLoad: pthread_join: %s\n", strerror(error));
        merge_results(total, &workers[t].results);
    }
}

/* --- the report ------------------------------------------------------------ */

/* Every thread's figures, merged. */

static struct results results;


static int by_value(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return (x > y) - (x < y);
}

static double percentile_ms(double fraction)
{
    size_t rank;

    if (results.samples == 0)
        return 0;
    rank = (size_t) (fraction * (double) (results.samples - 1) + 0.5);
    return results.latencies_us[rank] / 1000.0;
}

static unsigned long total_errors(void)
{
    unsigned long total = 0;
    int kind;

    for (kind = 0; kind < ERROR_KINDS; kind++)
        total += results.errors[kind];
    return total;
}

static void print_results(const struct settings *run, double elapsed,
                          double cpu_ms)
{
    static const char *const mode_names[] = { "rate", "bulk", "hold" };
    int kind;

    if (results.samples > 0)
        qsort(results.latencies_us, results.samples, sizeof (uint32_t),
              by_value);
    printf("mode=%s clients=%d seconds=%.2f connections=%lu conn_per_s=%.1f"
           " p50_ms=%.3f p99_ms=%.3f bytes=%llu mb_per_s=%.2f held=%d"
           " hold_s=%.3f"
           " still_echoing=%d errors=%lu",
           mode_names[run->mode], run->clients, elapsed, results.connections,
           results.connections / elapsed, percentile_ms(0.50),
           percentile_ms(0.99), results.bytes, results.bytes / elapsed / 1e6,
           results.held,
           results.hold_seconds, results.still_echoing, total_errors());
    for (kind = 0; kind < ERROR_KINDS; kind++)
        printf(" %s=%lu", error_names[kind], results.errors[kind]);
    if (cpu_ms >= 0)
        printf(" server_cpu_ms=%.0f cpu_us_per_conn=%.1f", cpu_ms,
               results.connections > 0 ? cpu_ms * 1000 / results.connections
                                       : 0.0);
    printf("\n");
    if (fflush(stdout) == EOF)
        errexit("TCPLoad: write standard output: %s\n", strerror(errno));
}

/* --- setting up ------------------------------------------------------------ */

/* Holding 1,000 clients takes 1,000 descriptors: raise our soft limit
 * as far as the hard limit allows, and say so if that is not enough. */
static void make_room_for(int clients)
{
    struct rlimit limit;
    rlim_t needed = (rlim_t) clients + 16;

    if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
        errexit("TCPLoad: getrlimit RLIMIT_NOFILE: %s\n", strerror(errno));
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
        limit.rlim_cur = limit.rlim_max == RLIM_INFINITY
            || limit.rlim_max >= needed ? needed : limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) < 0)
            errexit("TCPLoad: setrlimit RLIMIT_NOFILE: %s\n", strerror(errno));
        if (limit.rlim_cur < needed)
            errexit("TCPLoad: %d clients need %lu descriptors; the hard"
                    " limit is %lu (ulimit -Hn)\n", clients,
                    (unsigned long) needed, (unsigned long) limit.rlim_max);
    }
}

/* Looked up once: every client connects to the same address. */
static struct addrinfo *look_up(const char *host, const char *port)
{
    struct addrinfo hints, *addresses;
    int error;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    error = getaddrinfo(host, port, &hints, &addresses);
    if (error != 0)
        errexit("TCPLoad: %s port %s: %s\n", host, port, gai_strerror(error));
    return addresses;
}

static void parse_options(int argc, char *argv[], struct settings *run)
{
    const char *port = default_port();
    int clients = 0, request = 0, option;

    run->mode = RATE;
    run->seconds = 5;
    run->threads = default_threads();
    while ((option = getopt(argc, argv, "m:c:t:r:p:j:")) != -1) {
        if (option == 'm')
            run->mode = parse_mode(optarg);
        else if (option == 'c')
            clients = number_in_range("TCPLoad", "client count", optarg,
                                      MAX_CLIENTS);
        else if (option == 't')
            run->seconds = parse_seconds(optarg);
        else if (option == 'r')
            request = number_in_range("TCPLoad", "size", optarg, MAX_REQUEST);
        else if (option == 'j')
            run->threads = number_in_range("TCPLoad", "thread count", optarg,
                                           MAX_THREADS);
        else if (option == 'p')
            run->server_pid = number_in_range("TCPLoad", "server PID", optarg,
                                              0x3fffffff);
        else
            usage(stderr, EXIT_FAILURE);
    }
    if (argc - optind < 1 || argc - optind > 2)
        usage(stderr, EXIT_FAILURE);
    if (argc - optind == 2)
        port = argv[optind + 1];
    if (run->mode == BULK && request > MAX_CHUNK)
        errexit("TCPLoad: bad size %d: bulk writes at most %d bytes at a"
                " time\n", request, MAX_CHUNK);
    run->clients = clients != 0 ? clients
        : run->mode == RATE ? 8 : run->mode == BULK ? 1 : 100;
    run->request = (size_t) (request != 0 ? request
                             : run->mode == BULK ? MAX_CHUNK : 64);
    run->address = look_up(argv[optind], port);
}

int main(int argc, char *argv[])
{
    struct settings run;
    struct timespec settle = { 0, CHILDREN_SETTLE_NS };
    double started, elapsed, cpu_before = 0, cpu_ms = -1;

    memset(&run, 0, sizeof run);
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, EXIT_SUCCESS);
    parse_options(argc, argv, &run);
    /* A server that closes early must be counted, not kill us. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        errexit("TCPLoad: signal SIGPIPE: %s\n", strerror(errno));
    make_room_for(run.clients);
    fill_pattern();

    if (run.server_pid != 0)
        cpu_before = server_cpu_seconds(run.server_pid);
    started = seconds_now();
    run_load(&run, &results);
    elapsed = run.mode == HOLD ? seconds_now() - started : run.seconds;
    if (run.server_pid != 0) {
        /* Let the children of the last clients exit and be counted. */
        if (nanosleep(&settle, NULL) < 0 && errno != EINTR)
            errexit("TCPLoad: nanosleep: %s\n", strerror(errno));
        cpu_ms = (server_cpu_seconds(run.server_pid) - cpu_before) * 1000;
    }
    print_results(&run, elapsed, cpu_ms);
    freeaddrinfo(run.address);
    free(results.latencies_us);
    return total_errors() == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
