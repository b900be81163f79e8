/* TCPEchod.c - adversarial submission for the grader's self-test:
 * NEVER ANSWERS.  It listens and accepts, then holds every connection
 * without reading or writing.  The gate must fail: no echo.
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
    int on = 1;

    if (argc != 2 || fd < 0)
        return EXIT_FAILURE;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    memset(&address, 0, sizeof address);
    address.sin6_family = AF_INET6;
    address.sin6_port = htons((unsigned short) atoi(argv[1]));
    if (bind(fd, (struct sockaddr *) &address, sizeof address) < 0 || listen(fd, 8) < 0)
        return EXIT_FAILURE;
    for (;;)
        accept(fd, NULL, NULL);     /* and never a read or a write */
}
