/* minimal-sequential.c - the yardstick for the sequential design (make bench).
 *
 * Usage: minimal-sequential port
 * One client at a time: accept, echo until end-of-file, close.
 */
#include "minimal.h"

int main(int argc, char *argv[])
{
    int listen_fd = passiveTCP(port_argument(argc, argv), MINIMAL_QLEN);

    for (;;) {
        int conn_fd = accept_client(listen_fd);

        echo_until_eof(conn_fd);
        if (close(conn_fd) < 0)
            fprintf(stderr, "minimal: close: %s\n", strerror(errno));
    }
}
