/* connectsock.c - connectsock, connectTCP, connectUDP (psockets2).
 *
 * A client's first step: resolve the host (a name such as "localhost", or
 * an address such as 127.0.0.1 or ::1) and try each address in turn until
 * one connects.  "localhost" may resolve to both ::1 and 127.0.0.1, so a
 * server that listens on only one of them is still reached.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "psockets.h"
#include "service.h"

int connectsock(const char *host, const char *service, const char *transport)
{
    struct addrinfo *addresses =
        lookup_or_exit(host, service, AF_UNSPEC, socktype_of(transport), 0);
    struct addrinfo *address;
    int saved_errno = 0;
    int fd = -1;

    for (address = addresses; address != NULL; address = address->ai_next) {
        fd = socket(address->ai_family, address->ai_socktype,
                    address->ai_protocol);
        if (fd < 0) {
            saved_errno = errno;
            continue;
        }
        if (connect(fd, address->ai_addr, address->ai_addrlen) == 0)
            break;
        saved_errno = errno;    /* close() may change errno */
        close(fd);
        fd = -1;
    }
    freeaddrinfo(addresses);

    if (fd < 0)
        errexit("connect to %s port %s: %s\n", host, service,
                strerror(saved_errno));
    return fd;
}

int connectTCP(const char *host, const char *service)
{
    return connectsock(host, service, "tcp");
}

int connectUDP(const char *host, const char *service)
{
    return connectsock(host, service, "udp");
}
