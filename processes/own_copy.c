/* own_copy.c - after fork(), parent and child each have their own copy of
 * every variable (processes/).
 *
 * Usage: ./own_copy
 *
 * The child changes a variable, then the parent looks at it: the parent
 * still sees the old value, although both print the same address.  The
 * address is virtual: the same number names a different place in each
 * process's memory.  This is why a forked server child cannot share a
 * counter with its parent (labs/02-fork), and why threads can (threads/).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

#include "psockets.h"

static int counter = 1;

static void show(const char *who)
{
    printf("%-7s (pid %ld): counter = %d at address %p\n", who,
           (long) getpid(), counter, (void *) &counter);
}

int main(void)
{
    pid_t pid;
    int status;

    show("before");
    /* Empty stdio's buffer now, or the child inherits a copy of it and
     * the "before" line is printed twice when output goes to a pipe. */
    if (fflush(stdout) == EOF)
        errexit("fflush: %s\n", strerror(errno));

    pid = fork();
    if (pid < 0)
        errexit("fork: %s\n", strerror(errno));
    if (pid == 0) {
        counter = 2;
        show("child");
        /* _exit, not exit: the parent's atexit handlers and stdio
         * buffers are the parent's business; flush our own line first. */
        _exit(fflush(stdout) == EOF ? EXIT_FAILURE : EXIT_SUCCESS);
    }

    /* Wait, so the child has surely changed its counter before we look. */
    if (waitpid(pid, &status, 0) < 0)
        errexit("waitpid: %s\n", strerror(errno));
    show("parent");
    printf("The child set counter to 2; the parent still has %d: each"
           " process has its own copy.\n", counter);
    return EXIT_SUCCESS;
}
