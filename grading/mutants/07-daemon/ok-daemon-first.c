/* TCPEchod.c - grader mutant, stage 07: CORRECT, written differently.
 *
 * A daemon that becomes one first and listens after (so a port in use is
 * reported only to syslog), using only POSIX calls (no psockets2), with
 * syslog called directly.  SIGCHLD and SIGTERM stay blocked in the parent
 * at all times except inside pselect and sigsuspend: the handlers run
 * only where the server waits, so the count of children needs no other
 * care.  It must score full marks.
 * Usage: TCPEchod [-f] [-p PIDFILE] [-m MAX_CHILDREN] PORT
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

static volatile sig_atomic_t children;
static volatile sig_atomic_t terminate;

static void on_sigchld(int signo)
{
    int saved_errno = errno;

    (void) signo;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        children--;
    errno = saved_errno;
}

static void on_sigterm(int signo)
{
    (void) signo;
    terminate = 1;
}

static void die(const char *call)
{
    syslog(LOG_ERR, "%s: %s", call, strerror(errno));
    exit(EXIT_FAILURE);
}

static void daemonize(void)
{
    int fd;

    switch (fork()) {
    case -1: perror("fork"); exit(EXIT_FAILURE);
    case 0: break;
    default: _exit(EXIT_SUCCESS);
    }
    if (setsid() == -1) {
        perror("setsid");
        exit(EXIT_FAILURE);
    }
    switch (fork()) {
    case -1: perror("fork"); exit(EXIT_FAILURE);
    case 0: break;
    default: _exit(EXIT_SUCCESS);
    }
    umask(022);
    if (chdir("/") == -1) {
        perror("chdir");
        exit(EXIT_FAILURE);
    }
    for (fd = (int) sysconf(_SC_OPEN_MAX) - 1; fd >= 0; fd--)
        close(fd);
    openlog("TCPEchod", LOG_PID, LOG_DAEMON);
    if (open("/dev/null", O_RDWR) != 0 || dup(0) != 1 || dup(0) != 2)
        die("open /dev/null");
}

static int listen_on(const char *port_text)
{
    struct sockaddr_in6 address;
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    int on = 1, off = 0;

    if (fd == -1)
        die("socket");
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) == -1)
        die("setsockopt");
    memset(&address, 0, sizeof address);
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_any;
    address.sin6_port = htons((unsigned short) atoi(port_text));
    if (bind(fd, (struct sockaddr *) &address, sizeof address) == -1)
        die("bind");
    if (listen(fd, SOMAXCONN) == -1)
        die("listen");
    return fd;
}

static int echo(int fd, long *total)
{
    char buf[4096];
    ssize_t n, sent, w;

    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n == -1) {
            syslog(LOG_ERR, "read: %s", strerror(errno));
            return EXIT_FAILURE;
        }
        for (sent = 0; sent < n; sent += w) {
            w = write(fd, buf + sent, (size_t) (n - sent));
            if (w == -1) {
                syslog(LOG_ERR, "write: %s", strerror(errno));
                return EXIT_FAILURE;
            }
        }
        *total += n;
    }
    return EXIT_SUCCESS;
}

int main(int argc, char *argv[])
{
    struct sigaction action;
    sigset_t blocked, open_mask;
    const char *pid_path = NULL;
    int max = 64, foreground = 0, option, lfd;

    while ((option = getopt(argc, argv, "fp:m:")) != -1) {
        if (option == 'f')
            foreground = 1;
        else if (option == 'p' && optarg[0] == '/')
            pid_path = optarg;
        else if (option == 'm' && atoi(optarg) > 0)
            max = atoi(optarg);
        else {
            fprintf(stderr, "usage: TCPEchod [-f] [-p /PIDFILE] [-m MAX] PORT\n");
            return EXIT_FAILURE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "usage: TCPEchod [-f] [-p /PIDFILE] [-m MAX] PORT\n");
        return EXIT_FAILURE;
    }
    if (foreground)
        openlog("TCPEchod", LOG_PID, LOG_DAEMON);
    else
        daemonize();
    lfd = listen_on(argv[optind]);

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &action, NULL) == -1)
        die("sigaction");
    action.sa_handler = on_sigchld;
    if (sigaction(SIGCHLD, &action, NULL) == -1)
        die("sigaction");
    action.sa_handler = on_sigterm;
    if (sigaction(SIGTERM, &action, NULL) == -1)
        die("sigaction");
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGCHLD);
    sigaddset(&blocked, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &blocked, &open_mask) == -1)
        die("sigprocmask");

    if (pid_path != NULL) {
        FILE *file = fopen(pid_path, "w");

        if (file == NULL || fprintf(file, "%ld\n", (long) getpid()) < 0 ||
            fclose(file) == EOF)
            die(pid_path);
    }
    syslog(LOG_INFO, "started, listening on port %s", argv[optind]);

    while (!terminate) {
        struct sockaddr_in6 peer;
        socklen_t length = sizeof peer;
        fd_set readable;
        int cfd;
        pid_t pid;

        if (children >= max) {
            sigsuspend(&open_mask);
            continue;
        }
        FD_ZERO(&readable);
        FD_SET(lfd, &readable);
        if (pselect(lfd + 1, &readable, NULL, NULL, NULL, &open_mask) == -1)
            continue;           /* EINTR: a handler ran */
        cfd = accept(lfd, (struct sockaddr *) &peer, &length);
        if (cfd == -1) {
            syslog(LOG_ERR, "accept: %s", strerror(errno));
            continue;
        }
        pid = fork();
        if (pid == -1) {
            syslog(LOG_ERR, "fork: %s", strerror(errno));
        } else if (pid == 0) {
            char host[INET6_ADDRSTRLEN];
            long total = 0;
            int status;

            close(lfd);
            action.sa_handler = SIG_DFL;
            sigaction(SIGTERM, &action, NULL);
            sigprocmask(SIG_SETMASK, &open_mask, NULL);
            status = echo(cfd, &total);
            inet_ntop(AF_INET6, &peer.sin6_addr, host, sizeof host);
            syslog(LOG_INFO, "%s port %u: echoed %ld bytes", host,
                   (unsigned) ntohs(peer.sin6_port), total);
            _exit(status);
        } else {
            children++;
        }
        close(cfd);
    }
    syslog(LOG_INFO, "SIGTERM: exiting");
    if (pid_path != NULL && unlink(pid_path) == -1)
        syslog(LOG_ERR, "unlink: %s", strerror(errno));
    return EXIT_SUCCESS;
}
