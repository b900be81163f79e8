/* fullio.c - writen and readn: full reads and writes (psockets2).
 *
 * write() on a socket may write fewer bytes than asked (a short write), and
 * any slow call may be interrupted by a signal handler (EINTR).  Both are
 * normal, not errors, so every server in the kit writes through writen().
 */
#include <errno.h>
#include <unistd.h>

#include "psockets.h"

ssize_t writen(int fd, const void *buf, size_t n)
{
    const char *next = buf;
    size_t left = n;

    while (left > 0) {
        ssize_t written = write(fd, next, left);
        if (written < 0) {
            if (errno == EINTR)
                continue;       /* a handler ran: nothing was written, retry */
            return -1;
        }
        next += written;
        left -= (size_t) written;
    }
    return (ssize_t) n;
}

ssize_t readn(int fd, void *buf, size_t n)
{
    char *next = buf;
    size_t left = n;

    while (left > 0) {
        ssize_t got = read(fd, next, left);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (got == 0)
            break;              /* end-of-file: return what we have */
        next += got;
        left -= (size_t) got;
    }
    return (ssize_t) (n - left);
}
