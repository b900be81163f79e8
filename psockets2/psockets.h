/* psockets.h - the kit's small socket library (psockets2).
 *
 * A thin, layered API in the style of Comer & Stevens, "Internetworking
 * with TCP/IP" vol. III, rewritten for today: getaddrinfo instead of
 * gethostbyname, IPv6 dual-stack listeners, SO_REUSEADDR, full writes.
 *
 *   passiveTCP(service, qlen)  -> listening socket on every address
 *   connectTCP(host, service)  -> socket connected to host
 *   writen(fd, buf, n)         -> writes all n bytes (or fails)
 *
 * Every function that can fail either returns -1 with errno set (the
 * full-I/O helpers) or reports the failing call and exits (the socket
 * constructors, which a program cannot go on without).
 *
 * Build: make -C psockets2      Link: -Ipsockets2 psockets2/libpsockets.a
 */
#ifndef PSOCKETS_H
#define PSOCKETS_H

#include <stddef.h>
#include <sys/types.h>

/* Passive (listening) sockets.  service is a port number ("8080") or a
 * service name ("echo").  A TCP listener is IPv6 dual-stack: the one socket
 * answers both 127.0.0.1 and ::1.  qlen is the listen() backlog. */
int passivesock(const char *service, const char *transport, int qlen);
int passiveTCP(const char *service, int qlen);
int passiveUDP(const char *service);

/* Active (client) sockets: tries every address host resolves to, IPv6 and
 * IPv4, and returns the first that connects. */
int connectsock(const char *host, const char *service, const char *transport);
int connectTCP(const char *host, const char *service);
int connectUDP(const char *host, const char *service);

/* Prints a printf-style message to standard error and exits non-zero. */
void errexit(const char *format, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Full I/O: loop on short counts and EINTR.
 * writen returns n, or -1 with errno set.
 * readn returns n, fewer only at end-of-file, or -1 with errno set. */
ssize_t writen(int fd, const void *buf, size_t n);
ssize_t readn(int fd, void *buf, size_t n);

/* Reads a whole number from 1 to max given to an option (what: "count",
 * "timeout"...); anything else is reported as "program: bad what ..." and
 * the program exits. */
int number_in_range(const char *program, const char *what, const char *text,
                    int max);

/* The kit's port convention: $LAB_PORT if set, otherwise 8000 + uid % 1000,
 * so students sharing a machine each get their own port ("port 8xxx"). */
const char *default_port(void);

#endif
