# tim.chat: `make demo` runs the main job, `make test` runs every test. Both make their own virtualenv.
PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
BUILD := $(CURDIR)/.build
# Runtime tree for ansible-playbook and pytest: a link to this checkout.
COLLECTIONS := $(BUILD)/collections
# ansible-test needs a real directory named ansible_collections/tim/chat: a copy.
SANITY_ROOT := $(BUILD)/sanity/ansible_collections/tim/chat
# What the venv holds; test-matrix passes tests/requirements-core.txt and its own ansible-core.
REQUIREMENTS := requirements-dev.txt
CORE_PIN :=
# What `make demo` installs into the same .venv, and nothing else (ansible-core, requests, PyYAML): a fresh clone's
# demo does not wait for the test tool chain. requirements-dev.txt includes it, so `make test` completes that venv.
DEMO_REQUIREMENTS := requirements-demo.txt
# ansible-test sanity runs every test; compile and import run on each target Python of its ansible-core found on
# PATH (3.8-3.13 for 2.19), so the pyenv image's interpreters go on PATH (its shims do not run).
SANITY_ARGS := --venv
PYENV_ROOT ?= $(HOME)/.pyenv
empty :=
space := $(empty) $(empty)
TARGET_PATH := $(subst $(space),:,$(wildcard $(PYENV_ROOT)/versions/*/bin))
# The modules' target-Python tests keep their virtualenvs here (tests/integration/test_target_python.py).
export TIM_TEST_TARGET_VENVS := $(BUILD)/target-venvs

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PYTHONPATH := $(COLLECTIONS)
export ANSIBLE_NOCOWS := 1

.PHONY: demo test sanity units integration changelog-lint venv demo-venv link clean

# The full venv of `make test` (.installed) and the demo's subset of it (.installed-demo) share one .venv.
venv: $(VENV)/.installed
demo-venv: $(VENV)/.installed-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(REQUIREMENTS) $(DEMO_REQUIREMENTS) requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(REQUIREMENTS) $(CORE_PIN)
	touch $@

# Nothing to install when the full venv is there and up to date.
$(VENV)/.installed-demo: $(DEMO_REQUIREMENTS) requirements.txt | $(BIN)/python
	@if [ $(VENV)/.installed -nt $(DEMO_REQUIREMENTS) ] && [ $(VENV)/.installed -nt requirements.txt ]; then :; \
	else echo "$(BIN)/python -m pip install --quiet -r $(DEMO_REQUIREMENTS)"; \
	    $(BIN)/python -m pip install --quiet -r $(DEMO_REQUIREMENTS); fi
	touch $@

link:
	@mkdir -p $(COLLECTIONS)/ansible_collections/tim
	@ln -sfn $(CURDIR) $(COLLECTIONS)/ansible_collections/tim/chat

demo: demo-venv link
	$(BIN)/python docs/examples/run_demo.py

# The default suite on ansible-core 2.19 (make sanity units integration), the release checks, then the execution
# environment (make test-ee) beside the ansible-core matrix: the tests are CPU-bound on this 2-core machine, the EE
# build mostly waits on downloads and podman, so the two run at once (-j2), each one's output kept together (-O).
# The matrix pairs run one after the other (and each pair's targets in order: -j1).
test: sanity units integration changelog-lint release-checks
	@$(MAKE) --no-print-directory -j2 -Otarget test-ee test-matrix
	@echo "make test: all green"

sanity: venv
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)
	tar -C $(CURDIR) --exclude='./.venv*' --exclude=./.build --exclude=./.git --exclude='*/__pycache__' \
	    --exclude=./tests/output -cf - . | tar -C $(SANITY_ROOT) -xf -
	# ansible-test --venv fetches get-pip.py from a host outside the package registries: give it ours, for each
	# pip version it pins (one per target Python range).
	@versions=$$($(BIN)/python -c "import ansible_test._internal.python_requirements as r, inspect, re; \
	    print(' '.join(sorted(set(re.findall(r\"pip='([0-9.]+)'\", inspect.getsource(r.get_venv_packages))))))") && \
	    mkdir -p $$HOME/.ansible/test/cache && for version in $$versions; do \
	    cp tests/sanity/pip_bootstrap.py $$HOME/.ansible/test/cache/get_pip_$$(echo $$version | tr . _).py; done
	# A repository of its own: inside this checkout git would report the copy as ignored (.build/).
	cd $(SANITY_ROOT) && git init -q && git add -A
	cd $(SANITY_ROOT) && PATH=$(BIN):$(TARGET_PATH):$$PATH $(BIN)/ansible-test sanity --color no $(SANITY_ARGS)

# UNIT_ARGS: more pytest arguments (test-matrix leaves out the emulator's own tests, which do not use ansible-core).
UNIT_ARGS :=
units: venv link
	cd $(COLLECTIONS)/ansible_collections/tim/chat && $(BIN)/python -m pytest -q tests/unit -p no:cacheprovider $(UNIT_ARGS)

# INTEGRATION_ARGS: more pytest arguments (test-matrix deselects the tests marked `once`: client logic that does not
# depend on ansible-core, such as the fault and webhook matrices, run with the default ansible-core only).
INTEGRATION_ARGS :=
integration: venv link
	cd $(COLLECTIONS)/ansible_collections/tim/chat && $(BIN)/python -m pytest -q tests/integration -p no:cacheprovider -n 2 -rs \
	    $(INTEGRATION_ARGS)

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

# The benchmark of issues 7 and 15 (not part of `make test`, about 3 min): strict emulator with 50 ms latency and
# 200 calls/s per API; the environment (tim.chat.communities: cold, warm, drift, and an empty playbook) and the
# topic-only scenarios with the uri baseline; prints a table and writes bench/results.json. See docs/performance.md.
# More runs: make bench BENCH_ARGS=--runs=2; more warm/empty pairs: BENCH_ARGS=--pairs=5
.PHONY: bench
bench: venv link
	$(BIN)/python bench/run_bench.py --output bench/results.json $(BENCH_ARGS)

# The scale-out benchmark of issue 9 (not part of `make test`): 10 apps (10 emulators, 50 ms latency, 200 calls/s per
# API) x 1 community x 200 topics, the tim.chat.communities role in per_host mode with forks 1 then 10; prints the
# speed-up and writes bench/results-scale-out.json. See docs/scale-out.md and docs/performance.md.
# More: make bench-scale BENCH_SCALE_ARGS="--forks 1,2,5,10 --repeat 2"
.PHONY: bench-scale
bench-scale: venv link
	$(BIN)/python bench/scale_out.py --output bench/results-scale-out.json $(BENCH_SCALE_ARGS)

# Release hygiene (issue 6), part of `make test`. The action group and galaxy.yml/changelog.yaml version checks
# are unit tests (tests/unit/test_collection_metadata.py); fragments are linted by changelog-lint.
#   release-install: build the tarball, check its contents, install it into an empty collections path and run
#                    the modules and the role from that copy against the emulator (tests/release/check_installed.py)
#   release-ee:      meta/execution-environment.yml, `ansible-builder create` of docs/examples/execution-environment.yml
#                    and the image's galaxy and introspection stages, without a container runtime
#   lint:            ansible-lint --profile production, with its own ANSIBLE_HOME (never ~/.ansible) and offline
#   release-galaxy:  galaxy-importer (the check Galaxy and Automation Hub run on an upload, pinned in
#                    tests/release/requirements-galaxy-importer.txt, in .venv-galaxy-importer) imports that tarball with
#                    no error and no warning (tests/release/check_galaxy_importer.py)
#   docs-check:      docs/modules/ and docs/roles/ are what `make docs` renders from the code
.PHONY: release-checks release-install release-ee release-galaxy lint docs docs-check
release-checks: release-install release-ee release-galaxy lint docs-check
	@echo "release checks: all green"

release-install: venv link
	$(BIN)/python tests/release/check_installed.py

release-ee: release-install
	$(BIN)/python tests/release/check_ee.py

IMPORTER_VENV := $(CURDIR)/.venv-galaxy-importer
IMPORTER_REQUIREMENTS := tests/release/requirements-galaxy-importer.txt

$(IMPORTER_VENV)/.installed: $(IMPORTER_REQUIREMENTS)
	$(PYTHON) -m venv $(IMPORTER_VENV)
	$(IMPORTER_VENV)/bin/python -m pip install --quiet -r $(IMPORTER_REQUIREMENTS)
	touch $@

release-galaxy: release-install $(IMPORTER_VENV)/.installed
	$(BIN)/python tests/release/check_galaxy_importer.py --importer-venv $(IMPORTER_VENV)

lint: venv link
	rm -rf $(BUILD)/ansible-home && mkdir -p $(BUILD)/ansible-home
	ANSIBLE_HOME=$(BUILD)/ansible-home PATH=$(BIN):$$PATH $(BIN)/ansible-lint --offline --profile production --nocolor

docs: venv link
	$(BIN)/python docs/render_docs.py

docs-check: venv link
	$(BIN)/python docs/render_docs.py --check

# The execution environment, built and run (part of `make test`): installs podman, runc and debootstrap when missing
# (apt-get, as root), makes a Debian base image (no registry here), builds docs/examples/execution-environment.yml
# with ansible-builder on it, then runs the demo's job in the image as AWX does (ansible-runner transmit | worker in
# the container | process, the connection from docs/examples/awx/credential_type.yml) against the emulator: converges,
# the rerun changes and writes nothing, no secret key or UserSig in any event or artifact. Both images are cached in
# podman's store, keyed on the hash of their inputs. See tests/ee/run_ee_test.py; the job is tests/ee/job.py.
.PHONY: test-ee clean-ee
test-ee: venv link
	$(BIN)/python tests/ee/run_ee_test.py $(EE_TEST_ARGS)

# Removes the images of make test-ee from podman's store (make clean keeps them: they are the cache).
clean-ee: venv
	$(BIN)/python tests/ee/run_ee_test.py --clean

# The supported range beyond the default ansible-core 2.19 (README "Compatibility", issue 10). Each pair has its own
# venv (.venv-<core>) and build tree (.build/core-<core>/), so it never touches the default ones.
#   2.21 on Python 3.12, the newest: all of ansible-test sanity (compile and import on its targets 3.9-3.13), unit and
#        integration tests (the modules run on 3.9-3.13).
#   2.16 on Python 3.10, the oldest of requires_ansible: compile and import on its targets 2.7 and 3.6-3.12, unit and
#        integration tests (the modules run on 2.7 and 3.6-3.12). Not --venv: ansible-test 2.16 makes its 2.7 venv
#        with virtualenv 16 from a Python on PATH, this venv's; its own --venv venv has none.
# One pair: make test-core-2.21.
.PHONY: test-matrix
MATRIX := 2.21 2.16
MATRIX_PYTHON_2.21 := 3.12
MATRIX_PYTHON_2.16 := 3.10
MATRIX_PIN_2.16 := virtualenv==16.7.12
MATRIX_SANITY_2.16 := --test compile --test import
pyenv_python = $(or $(lastword $(wildcard $(PYENV_ROOT)/versions/$(1).*/bin/python$(1))),python$(1))

test-matrix:
	@for core in $(MATRIX); do $(MAKE) --no-print-directory -j1 test-core-$$core || exit 1; done
	@echo "make test-matrix: all green (ansible-core $(MATRIX))"

test-core-%:
	@start=$$(date +%s) && \
	$(MAKE) --no-print-directory -j1 sanity units integration VENV=$(CURDIR)/.venv-$* BUILD=$(BUILD)/core-$* \
	    PYTHON=$(call pyenv_python,$(MATRIX_PYTHON_$*)) REQUIREMENTS=tests/requirements-core.txt \
	    CORE_PIN="ansible-core==$*.* $(MATRIX_PIN_$*)" SANITY_ARGS="$(or $(MATRIX_SANITY_$*),--venv)" \
	    INTEGRATION_ARGS='-m "not once"' UNIT_ARGS=--ignore=tests/unit/emulator && \
	echo "ansible-core $* on Python $(MATRIX_PYTHON_$*): all green in $$(( $$(date +%s) - start )) s"

clean:
	rm -rf $(BUILD) $(VENV) $(CURDIR)/.venv-* tests/output
