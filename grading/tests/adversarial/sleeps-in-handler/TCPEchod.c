/* TCPEchod.c - adversarial submission for the grader's self-test:
 * SLEEPS FOREVER IN A SIGNAL HANDLER.  Its handler for SIGTERM, SIGINT,
 * SIGHUP and SIGUSR1 never returns; it raises SIGUSR1 on its first
 * client, and SIGTERM cannot stop it.  The gate must fail (no echo) and
 * the grader must still end it (SIGKILL).
 * Usage: TCPEchod PORT
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void sleep_forever(int signo)
{
    (void) signo;
    for (;;)
        pause();
}

int main(int argc, char *argv[])
{
    struct sockaddr_in6 address;
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    const int signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };

    if (argc != 2 || fd < 0)
        return EXIT_FAILURE;
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
        signal(signals[i], sleep_forever);
    memset(&address, 0, sizeof address);
    address.sin6_family = AF_INET6;
    address.sin6_port = htons((unsigned short) atoi(argv[1]));
    if (bind(fd, (struct sockaddr *) &address, sizeof address) < 0 || listen(fd, 8) < 0)
        return EXIT_FAILURE;
    accept(fd, NULL, NULL);
    raise(SIGUSR1);
    return 0;
}
