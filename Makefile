# tim.chat: `make demo` runs the main job, `make test` runs every test. Both make their own virtualenv.
PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
BUILD := $(CURDIR)/.build
# Runtime tree for ansible-playbook and pytest: a link to this checkout.
COLLECTIONS := $(BUILD)/collections
# ansible-test needs a real directory named ansible_collections/tim/chat: a copy.
SANITY_ROOT := $(BUILD)/sanity/ansible_collections/tim/chat

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PYTHONPATH := $(COLLECTIONS)
export ANSIBLE_NOCOWS := 1

.PHONY: demo test sanity units integration changelog-lint venv link clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

link:
	@mkdir -p $(COLLECTIONS)/ansible_collections/tim
	@ln -sfn $(CURDIR) $(COLLECTIONS)/ansible_collections/tim/chat

demo: venv link
	$(BIN)/python docs/examples/run_demo.py

test: sanity units integration changelog-lint
	@echo "make test: all green"

sanity: venv
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)
	tar -C $(CURDIR) --exclude=./.venv --exclude=./.build --exclude=./.git --exclude='*/__pycache__' \
	    --exclude=./tests/output -cf - . | tar -C $(SANITY_ROOT) -xf -
	# ansible-test --venv fetches get-pip.py from a host outside the package registries: give it ours.
	@version=$$($(BIN)/python -c "import ansible_test._internal.python_requirements as r, inspect, re; \
	    print(re.search(r\"pip='([0-9.]+)'\", inspect.getsource(r.get_venv_packages)).group(1))") && \
	    mkdir -p $$HOME/.ansible/test/cache && \
	    cp tests/sanity/pip_bootstrap.py $$HOME/.ansible/test/cache/get_pip_$$(echo $$version | tr . _).py
	# A repository of its own: inside this checkout git would report the copy as ignored (.build/).
	cd $(SANITY_ROOT) && git init -q && git add -A
	cd $(SANITY_ROOT) && PATH=$(BIN):$$PATH $(BIN)/ansible-test sanity --venv --python 3.11 --color no

units: venv link
	cd $(COLLECTIONS)/ansible_collections/tim/chat && $(BIN)/python -m pytest -q tests/unit -p no:cacheprovider

integration: venv link
	cd $(COLLECTIONS)/ansible_collections/tim/chat && $(BIN)/python -m pytest -q tests/integration -p no:cacheprovider -n 2

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

clean:
	rm -rf $(BUILD) $(VENV) tests/output
