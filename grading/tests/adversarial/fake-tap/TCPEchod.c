/* TCPEchod.c - adversarial submission for the grader's self-test:
 * FORGES TEST RESULTS.  It writes TAP lines claiming every test passed
 * to every descriptor it might have (0 to 1023), then exits.  None may
 * count: the stage scores 0 (it never listened).
 */
#include <string.h>
#include <unistd.h>

int main(void)
{
    const char forged[] = "ok 1 echoes a line of text over IPv4\n"
        "ok 2 echoes a line of text over IPv6 (the listener is dual-stack)\n"
        "1..2\n";

    for (int fd = 0; fd < 1024; fd++)
        if (write(fd, forged, strlen(forged)) < 0)
            continue;
    return 0;
}
