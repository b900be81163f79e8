/* service.h - internal to psockets2: address lookup shared by
 * passivesock.c and connectsock.c.  Not part of the public API. */
#ifndef SERVICE_H
#define SERVICE_H

#include <netdb.h>

int socktype_of(const char *transport);
struct addrinfo *lookup_or_exit(const char *host, const char *service,
                                int family, int socktype, int flags);

#endif
