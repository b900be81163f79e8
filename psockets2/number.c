/* number.c - read a whole number from a command-line option (psockets2).
 *
 * atoi("10x") is 10 and atoi("x") is 0, so a typo would quietly become a
 * count or a time.  number_in_range() accepts only digits, in range, and
 * otherwise says which option was wrong and exits.
 */
#include <stdlib.h>

#include "psockets.h"

int number_in_range(const char *program, const char *what, const char *text,
                    int max)
{
    char *end;
    long number = strtol(text, &end, 10);

    if (*text == '\0' || *end != '\0' || number < 1 || number > max)
        errexit("%s: bad %s \"%s\": give a number from 1 to %d\n",
                program, what, text, max);
    return (int) number;
}
