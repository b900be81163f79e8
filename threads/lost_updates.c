/* lost_updates.c - counting with threads, without and with a lock
 * (threads/).
 *
 * Usage: ./lost_updates
 *
 * Four threads each add 1 to a shared counter 2.5 million times.  "counter
 * = counter + 1" is three steps: load, add, store.  Two threads that load
 * the same value both store value + 1, and one update is lost.  With a
 * mutex around the increment, only one thread at a time does the three
 * steps, and the total is exact.  The same holds for anything threads of
 * a server share (labs/05-threads).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psockets.h"

#define THREADS 4
#define INCREMENTS 2500000L     /* per thread: long enough to overlap */

/* volatile makes the compiler really load and store the counter each
 * time, instead of adding a million in one go (which hides the race).
 * It does not make the increment atomic: that is the point. */
static volatile long counter;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;

static void *count_without_lock(void *unused)
{
    long i;

    (void) unused;
    for (i = 0; i < INCREMENTS; i++)
        counter = counter + 1;  /* a data race, on purpose */
    return NULL;
}

static void *count_with_mutex(void *unused)
{
    long i;

    (void) unused;
    /* A default mutex fails only on misuse (say, unlocking a mutex we do
     * not hold), so the calls in this tight loop go unchecked. */
    for (i = 0; i < INCREMENTS; i++) {
        pthread_mutex_lock(&counter_lock);
        counter = counter + 1;
        pthread_mutex_unlock(&counter_lock);
    }
    return NULL;
}

/* Runs THREADS threads of count(), from a counter of zero; returns the
 * final count. */
static long run_threads(void *(*count)(void *))
{
    pthread_t threads[THREADS];
    int error;
    int i;

    counter = 0;
    for (i = 0; i < THREADS; i++) {
        error = pthread_create(&threads[i], NULL, count, NULL);
        if (error != 0)
            errexit("pthread_create: %s\n", strerror(error));
    }
    for (i = 0; i < THREADS; i++) {
        error = pthread_join(threads[i], NULL);
        if (error != 0)
            errexit("pthread_join: %s\n", strerror(error));
    }
    return counter;
}

static void report(const char *how, long total)
{
    long expected = THREADS * INCREMENTS;

    printf("%-15s expected %ld, got %ld (lost %ld updates)\n", how,
           expected, total, expected - total);
}

int main(void)
{
    printf("%d threads each add 1 to a shared counter %ld times.\n",
           THREADS, INCREMENTS);
    report("without a lock:", run_threads(count_without_lock));
    report("with a mutex:", run_threads(count_with_mutex));
    return EXIT_SUCCESS;
}
