# kit.mk - compiler settings shared by every Makefile in the kit.
#
# A Makefile sets PSOCKETS (the path to this folder) and includes this file.
# Warnings are always on; CFLAGS is yours to add to, for example
#     make CFLAGS=-Werror        or        make CC=clang
PSOCKETS ?= .
CFLAGS ?= -O2 -g
# The mistakes that gcc 14 and later refuse to compile are errors here
# with every compiler (gcc 12 and clang only warn): a function used
# without its declaration, above all, which the strict standard mode
# turns up (bzero, usleep, wait3 are not POSIX.1-2008).
KIT_ERRORS = -Werror=implicit-function-declaration -Werror=implicit-int \
             -Werror=int-conversion -Werror=incompatible-pointer-types
KIT_CFLAGS = -std=c11 -Wall -Wextra -Wpedantic -D_POSIX_C_SOURCE=200809L \
             $(KIT_ERRORS) -I$(PSOCKETS)
LIBPSOCKETS = $(PSOCKETS)/libpsockets.a

# A program is one .c file linked with the library.
%: %.c $(LIBPSOCKETS)
	$(CC) $(KIT_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBPSOCKETS) $(LDLIBS)

# Outside psockets2, build the library there first if it is missing.
ifneq ($(PSOCKETS),.)
$(LIBPSOCKETS):
	$(MAKE) -C $(PSOCKETS) libpsockets.a
endif
