/* syslog-sink.c - the grader's own syslog daemon, reduced to what a test
 * needs: it binds a Unix datagram socket at PATH (where syslog(3) sends,
 * /dev/log, inside a mount namespace of the test's own: see
 * grading/lib/with-own-syslog) and appends every message it receives to
 * LOG, one line each, as it comes.  It never writes to the system's log.
 *
 * Usage: syslog-sink [-t SECONDS] PATH LOG
 * It ends on SIGTERM, or after SECONDS (default 120): a test that forgets
 * it cannot leave it running.  Built by grading/grade and by the kit's
 * tests of stage 07 (grading/lib/daemon.bash).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define MAX_MESSAGE 8192

static void fail(const char *call)
{
    fprintf(stderr, "syslog-sink: %s: %s\n", call, strerror(errno));
    exit(EXIT_FAILURE);
}

static int bind_socket_at(const char *path)
{
    struct sockaddr_un address;
    int fd;

    if (strlen(path) >= sizeof address.sun_path) {
        fprintf(stderr, "syslog-sink: path too long: %s\n", path);
        exit(EXIT_FAILURE);
    }
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0)
        fail("socket");
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    strcpy(address.sun_path, path);
    if (unlink(path) < 0 && errno != ENOENT)
        fail("unlink");
    if (bind(fd, (struct sockaddr *) &address, sizeof address) < 0)
        fail("bind");
    /* The server under test may run as another user (nobody): anyone
     * may send, as to the real /dev/log. */
    if (chmod(path, 0666) < 0)
        fail("chmod");
    return fd;
}

int main(int argc, char *argv[])
{
    char message[MAX_MESSAGE + 1];
    unsigned seconds = 120;
    int option, fd, log_fd;
    ssize_t got;

    while ((option = getopt(argc, argv, "t:")) != -1) {
        if (option != 't' || atoi(optarg) <= 0) {
            fprintf(stderr, "usage: syslog-sink [-t SECONDS] PATH LOG\n");
            return EXIT_FAILURE;
        }
        seconds = (unsigned) atoi(optarg);
    }
    if (argc - optind != 2) {
        fprintf(stderr, "usage: syslog-sink [-t SECONDS] PATH LOG\n");
        return EXIT_FAILURE;
    }
    log_fd = open(argv[optind + 1], O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log_fd < 0)
        fail("open");
    fd = bind_socket_at(argv[optind]);
    alarm(seconds);             /* SIGALRM's default action ends it */
    for (;;) {
        got = recv(fd, message, MAX_MESSAGE, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            fail("recv");
        }
        /* One line per message: syslog(3) may or may not end it with a
         * newline. */
        while (got > 0 && (message[got - 1] == '\n' || message[got - 1] == '\0'))
            got--;
        message[got++] = '\n';
        if (write(log_fd, message, (size_t) got) < 0)
            fail("write");
    }
}
