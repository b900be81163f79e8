# The concurrent-servers lab kit.
#     make setup     install the packages the kit needs (Debian/Ubuntu)
#     make           build the library, the demos, every lab and solution
#     make demo      build, then send a message through the echo server
#     make test      run the kit's whole test suite
#     make sanitize  build with AddressSanitizer/UBSan and run the tests
#     make clean     remove everything make built
# Add to the compiler flags with CFLAGS (make CFLAGS=-Werror) and change
# compiler with CC (make CC=clang).

STAGES = $(wildcard labs/[0-9]*/Makefile solutions/[0-9]*/Makefile)
STAGE_DIRS = $(patsubst %/Makefile,%,$(STAGES))
DIRS = processes threads $(STAGE_DIRS)

all: $(DIRS)

psockets2:
	$(MAKE) -C psockets2

# Everything else links with the library, so it is built first.
$(DIRS): psockets2
	$(MAKE) -C $@

setup:
	grading/install-packages

demo: all
	psockets2/demo

test: all
	grading/run-tests

clean:
	$(MAKE) -C psockets2 clean
	for dir in $(DIRS); do $(MAKE) -C $$dir clean || exit 1; done

.PHONY: all setup demo test clean psockets2 $(DIRS)
