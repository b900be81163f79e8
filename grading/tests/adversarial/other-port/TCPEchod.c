/* TCPEchod.c - adversarial submission for the grader's self-test:
 * LISTENS ON ANOTHER PORT (the given one plus 1) and echoes there.  The
 * gate must say it never listened on the port it was given.
 * Usage: TCPEchod PORT
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    struct sockaddr_in6 address;
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    char buf[4096];

    if (argc != 2 || fd < 0)
        return EXIT_FAILURE;
    memset(&address, 0, sizeof address);
    address.sin6_family = AF_INET6;
    address.sin6_port = htons((unsigned short) (atoi(argv[1]) + 1));
    if (bind(fd, (struct sockaddr *) &address, sizeof address) < 0 || listen(fd, 8) < 0)
        return EXIT_FAILURE;
    for (;;) {
        int conn_fd = accept(fd, NULL, NULL);
        ssize_t got;

        while (conn_fd >= 0 && (got = read(conn_fd, buf, sizeof buf)) > 0)
            if (write(conn_fd, buf, (size_t) got) < 0)
                break;
        close(conn_fd);
    }
}
