/* TCPEchod.c - adversarial submission for the grader's self-test:
 * CRASHES AT ONCE (SIGSEGV).  The gate must say it was killed by SIGSEGV.
 */
#include <signal.h>

int main(void)
{
    raise(SIGSEGV);
    return 0;
}
