/* errexit.c - report a fatal error and exit (psockets2).
 *
 * Comer's errexit, kept because it makes the "check every call" rule cheap
 * to follow: one line per failure, naming the call and the reason, e.g.
 *     errexit("socket: %s\n", strerror(errno));
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "psockets.h"

void errexit(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    exit(EXIT_FAILURE);
}
