/* shared_variable.c - threads share one copy of every global variable
 * (threads/).
 *
 * Usage: ./shared_variable
 *
 * A thread changes a variable; after pthread_join, main sees the new
 * value at the same address.  Compare processes/own_copy, where a forked
 * child's change stays in the child.  Sharing is what makes a threaded
 * server cheap (labs/05-threads), and what makes it easy to get wrong
 * (see lost_updates.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psockets.h"

static int counter = 1;

static void show(const char *who)
{
    printf("%-7s: counter = %d at address %p\n", who, counter,
           (void *) &counter);
}

static void *change_counter(void *unused)
{
    (void) unused;
    counter = 2;
    show("thread");
    return NULL;
}

int main(void)
{
    pthread_t thread;
    int error;

    show("before");
    /* pthread functions return the error number instead of setting errno. */
    error = pthread_create(&thread, NULL, change_counter, NULL);
    if (error != 0)
        errexit("pthread_create: %s\n", strerror(error));
    /* Joining also orders memory: the thread's write is visible after. */
    error = pthread_join(thread, NULL);
    if (error != 0)
        errexit("pthread_join: %s\n", strerror(error));
    show("main");
    printf("The thread set counter to 2 and main sees %d: threads share"
           " one copy.\n", counter);
    return EXIT_SUCCESS;
}
