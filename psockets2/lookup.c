/* lookup.c - turn host and service names into addresses (psockets2).
 *
 * Both passivesock() and connectsock() start here.  A port number is
 * checked by hand first, because getaddrinfo quietly accepts some numbers
 * that are not ports; names ("echo", "http") go to getaddrinfo, which reads
 * /etc/services.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "psockets.h"
#include "service.h"

static int is_number(const char *text)
{
    if (*text == '\0')
        return 0;
    for (; *text != '\0'; text++)
        if (!isdigit((unsigned char) *text))
            return 0;
    return 1;
}

static void check_port_number(const char *service)
{
    char *end;
    unsigned long port;

    errno = 0;
    port = strtoul(service, &end, 10);
    if (errno != 0 || *end != '\0' || port < 1 || port > 65535)
        errexit("bad port \"%s\": a port is a number from 1 to 65535\n",
                service);
}

int socktype_of(const char *transport)
{
    if (strcmp(transport, "tcp") == 0)
        return SOCK_STREAM;
    if (strcmp(transport, "udp") == 0)
        return SOCK_DGRAM;
    errexit("unknown transport \"%s\": use \"tcp\" or \"udp\"\n", transport);
}

struct addrinfo *lookup_or_exit(const char *host, const char *service,
                                int family, int socktype, int flags)
{
    struct addrinfo hints;
    struct addrinfo *addresses;
    int status;

    if (service == NULL || service[0] == '\0')
        errexit("bad port \"\": a port is a number from 1 to 65535\n");
    if (is_number(service))
        check_port_number(service);

    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    hints.ai_flags = flags;

    status = getaddrinfo(host, service, &hints, &addresses);
    if (status == EAI_SERVICE)
        errexit("bad port \"%s\": not a number and not a known service\n",
                service);
    if (status == EAI_SYSTEM)
        errexit("getaddrinfo %s: %s\n", host ? host : service, strerror(errno));
    if (status != 0)
        errexit("unknown host \"%s\": %s\n", host ? host : "(any)",
                gai_strerror(status));
    return addresses;
}
