/* TCPEchod.c - adversarial submission for the grader's self-test:
 * DOES NOT COMPILE.  The grader must score the stage 0 and quote the
 * compiler's first error.
 */
int main(void)
{
    return undeclared_variable;
}
