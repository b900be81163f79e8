# The concurrent-servers lab kit.
#     make setup     install the packages the kit needs (Debian/Ubuntu)
#     make           build the library, the demos, every lab and solution
#     make demo      build, then send a message through the echo server
#     make test      run the kit's whole test suite
#     make sanitize  build with AddressSanitizer/UBSan and run the tests
#     make grade     grade solutions/ (make grade SUBMISSION=path LAB=03)
#     make soak      grade solutions/ 20 times under CPU load: any flake?
#                    (make soak LAB="01 04": those stages only)
#     make bench     every server design side by side: a table and PNG
#                    plots in bench-results/ (about 6 minutes on 2 cores;
#                    SERVER=path adds your server, BENCH_SHORT=1: 35 s)
#     make bench-grader  time the grading of every stage of solutions/
#     make autograder    autograder.zip for Gradescope (LAB=03: stage 03 only)
#     make clean     remove everything make built
# Add to the compiler flags with CFLAGS (make CFLAGS=-Werror) and change
# compiler with CC (make CC=clang).

STAGES = $(wildcard labs/[0-9]*/Makefile solutions/[0-9]*/Makefile)
STAGE_DIRS = $(patsubst %/Makefile,%,$(STAGES))
DIRS = processes threads $(STAGE_DIRS)
# make bench's minimal servers: one of them uses epoll, which is Linux's.
ifeq ($(shell uname -s),Linux)
DIRS += psockets2/bench
endif

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

# make grade: grading/grade on SUBMISSION (default solutions/), LAB
# limits it to some stages (LAB=03 or LAB="01 03-reaper"); see grading/README.md.
grade: all
	grading/grade $(foreach lab,$(LAB),--lab $(lab)) $(SUBMISSION)

soak:
	grading/soak $(foreach lab,$(LAB),--lab $(lab))

# make bench: the reference servers and a minimal server of each design
# under the same loads (psockets2/bench/README.md); SERVER=path adds a
# student's server, BENCH_SHORT=1 runs the kit test's short version.
bench: all
	BENCH_SHORT=$(BENCH_SHORT) SERVER=$(SERVER) psockets2/bench/run-bench

# The grader's own benchmark.
bench-grader:
	grading/bench $(SUBMISSION)

# make autograder: the zip for a Gradescope programming assignment, with
# LAB naming its stages (LAB=03, or LAB="01 02"); see grading/README.md.
AUTOGRADER_ZIP = autograder.zip
autograder:
	grading/autograder/make-zip $(foreach lab,$(LAB),--lab $(lab)) $(AUTOGRADER_ZIP)

# make sanitize: the kit's own programs (psockets2, processes, threads)
# rebuilt with AddressSanitizer and UBSan and their tests run.  Every
# program writes its reports to a scratch folder rather than to a test's
# output, where they could pass unseen: any report fails the target.
# Then everything is rebuilt normally.
SANITIZE = -g -fsanitize=address,undefined -fno-omit-frame-pointer
SANITIZE_OPTIONS = halt_on_error=1:abort_on_error=1:detect_leaks=1

sanitize:
	$(MAKE) clean
	$(MAKE) psockets2 processes threads CFLAGS="-O1 $(SANITIZE)" LDFLAGS="$(SANITIZE)"
	reports=$$(mktemp -d) && \
	ASAN_OPTIONS=$(SANITIZE_OPTIONS):log_path=$$reports/asan \
	UBSAN_OPTIONS=$(SANITIZE_OPTIONS):print_stacktrace=1:log_path=$$reports/ubsan \
		grading/run-tests psockets2/tests processes/tests threads/tests; \
	status=$$?; \
	if [ -n "$$(ls "$$reports")" ]; then \
		echo "make sanitize: sanitizer reports:"; cat "$$reports"/*; status=1; \
	fi; \
	rm -rf "$$reports"; \
	$(MAKE) clean all && exit $$status

clean:
	$(MAKE) -C psockets2 clean
	for dir in $(DIRS); do $(MAKE) -C $$dir clean || exit 1; done

.PHONY: all setup demo test grade soak bench bench-grader autograder sanitize clean psockets2 $(DIRS)
