/* port.c - the kit's default port (psockets2).
 *
 * Students often share a lab machine, and two servers cannot listen on the
 * same port.  So every program defaults to $LAB_PORT if it is set, and
 * otherwise to 8000 + (user id % 1000): each student gets "port 8xxx".
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "psockets.h"

const char *default_port(void)
{
    static char port[16];
    const char *lab_port = getenv("LAB_PORT");

    if (lab_port != NULL && lab_port[0] != '\0')
        return lab_port;
    snprintf(port, sizeof port, "%u", 8000u + (unsigned) (getuid() % 1000));
    return port;
}
