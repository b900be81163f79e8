/* TCPEchod.c - adversarial submission for the grader's self-test:
 * A FORK BOMB.  It listens, then forks without end: every process forks
 * again.  The grader's process cap must stop it, the gate must fail, and
 * no process may outlive the stage.
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

    if (argc != 2 || fd < 0)
        return EXIT_FAILURE;
    memset(&address, 0, sizeof address);
    address.sin6_family = AF_INET6;
    address.sin6_port = htons((unsigned short) atoi(argv[1]));
    if (bind(fd, (struct sockaddr *) &address, sizeof address) < 0 || listen(fd, 8) < 0)
        return EXIT_FAILURE;
    for (;;)
        fork();
}
