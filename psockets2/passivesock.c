/* passivesock.c - passivesock, passiveTCP, passiveUDP (psockets2).
 *
 * A server's first step: a socket bound to a well-known port on every local
 * address.  We prefer one IPv6 socket with IPV6_V6ONLY turned off (dual
 * stack), so the same listener answers ::1 and 127.0.0.1 (IPv4 clients show
 * up as ::ffff:127.0.0.1).  Only where the kernel has no IPv6 at all do we
 * fall back to an IPv4 socket.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "psockets.h"
#include "service.h"

/* Returns the IPv6 wildcard address if there is one, else the first. */
static struct addrinfo *prefer_ipv6(struct addrinfo *addresses)
{
    struct addrinfo *address;

    for (address = addresses; address != NULL; address = address->ai_next)
        if (address->ai_family == AF_INET6)
            return address;
    return addresses;
}

static int open_socket(struct addrinfo *addresses, struct addrinfo **chosen)
{
    struct addrinfo *address = prefer_ipv6(addresses);
    int fd = socket(address->ai_family, address->ai_socktype,
                    address->ai_protocol);

    if (fd < 0 && errno == EAFNOSUPPORT && address->ai_family == AF_INET6) {
        for (address = addresses; address != NULL; address = address->ai_next)
            if (address->ai_family == AF_INET)
                break;
        if (address != NULL)
            fd = socket(address->ai_family, address->ai_socktype,
                        address->ai_protocol);
    }
    if (fd < 0)
        errexit("socket: %s\n", strerror(errno));
    *chosen = address;
    return fd;
}

static void set_socket_options(int fd, int family)
{
    int on = 1;
    int off = 0;

    /* Lets a restarted server bind its port while old connections are
     * still in TIME_WAIT; without it, bind fails with EADDRINUSE. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
        errexit("setsockopt SO_REUSEADDR: %s\n", strerror(errno));

    /* Some systems (the BSDs) default to IPv6-only sockets: ask for both. */
    if (family == AF_INET6
        && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0)
        errexit("setsockopt IPV6_V6ONLY: %s\n", strerror(errno));
}

int passivesock(const char *service, const char *transport, int qlen)
{
    int socktype = socktype_of(transport);
    struct addrinfo *addresses =
        lookup_or_exit(NULL, service, AF_UNSPEC, socktype, AI_PASSIVE);
    struct addrinfo *address;
    int fd = open_socket(addresses, &address);

    set_socket_options(fd, address->ai_family);
    if (bind(fd, address->ai_addr, address->ai_addrlen) < 0)
        errexit("bind to port %s: %s\n", service, strerror(errno));
    if (socktype == SOCK_STREAM && listen(fd, qlen) < 0)
        errexit("listen on port %s: %s\n", service, strerror(errno));

    freeaddrinfo(addresses);
    return fd;
}

int passiveTCP(const char *service, int qlen)
{
    return passivesock(service, "tcp", qlen);
}

int passiveUDP(const char *service)
{
    return passivesock(service, "udp", 0);
}
