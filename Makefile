# SPDX-License-Identifier: GPL-2.0
#
# make               build exitcount.ko for the running kernel (KVER/KDIR
#                    select another) and the guest CLI
# make check         unit tests, then the VM tests (emulated AMD and Intel
#                    hosts booting Debian's stock kernel)
# make check-kernels the VM tests on Debian 11's 5.10 and experimental's
#                    newest kernel (tests/check-kernels.sh; downloads)
# make check-long    the VM tests with the slow settings make check leaves
#                    out (many more VMs, CPUIDs, reloads; Bochs with 2 CPUs)
# make demo          boot an emulated host, load the module, show a guest's
#                    exit table
# make bench         per-exit cost with and without exitcount (emulated hosts)
# make fuzz          fuzz the protocol encoder and the CLI's parsers,
#                    FUZZ_SECONDS (60) per target (libFuzzer, clang)
# make deb           Debian packages exitcount-dkms and exitcount in build/deb
#                    (tools/build-deb.sh; installs the build dependencies)
# make style         checkpatch and clang-tidy on our sources
# make compile-matrix  build the module against other kernels' headers
#                    (tests/compile-matrix.sh; root, downloads; not in check)

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
DESTDIR ?=
PREFIX ?= /usr/local
INSTALL_MOD_DIR ?= updates
FUZZ_SECONDS ?= 60

all: module cli

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

modules_install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install

cli:
	$(MAKE) -C guest-cli

install: modules_install
	$(MAKE) -C guest-cli install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

unit:
	$(MAKE) -C tests unit

check:
	tests/run.sh

check-kernels:
	tests/check-kernels.sh

check-long:
	tests/vm/run-long.sh

demo:
	tests/vm/demo.sh

bench:
	tests/bench/run.sh

fuzz:
	$(MAKE) -C tests/fuzz fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

deb:
	tools/build-deb.sh

style:
	tests/style.sh

compile-matrix:
	tests/compile-matrix.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C guest-cli clean
	$(MAKE) -C tests clean
	rm -rf build/deb

.PHONY: all module modules_install cli install unit check check-kernels check-long demo bench fuzz deb style \
	compile-matrix clean
