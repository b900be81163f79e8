/* TCPEchod.c - adversarial submission for the grader's self-test:
 * A CHILD THAT OUTLIVES ITS PARENT.  It forks a child that leaves the
 * process group (setsid) and sleeps for an hour, and the parent exits at
 * once.  The gate must fail (exited with status 0) and the grader must
 * still leave no process behind.
 */
#include <unistd.h>

int main(void)
{
    if (fork() == 0) {
        setsid();
        sleep(3600);
    }
    return 0;
}
