# classroomkd_mm: `make setup`, `make test`, `make demo` (each sets up first if needed).
# STACK=oldest runs setup and test on the oldest supported stack (.venv-oldest/, Python 3.10,
# torch 2.1, numpy 1.26) with the plugin installed by `pip install .`; `make test-all` (CI)
# builds both stacks and runs the whole suite on each.
STACK ?= newest
VENV := $(if $(filter oldest,$(STACK)),.venv-oldest,.venv)
PYTHON := $(VENV)/bin/python

.PHONY: setup test test-all demo demo-pose clean

setup:
	@STACK=$(STACK) bash scripts/setup_env.sh

# pytest's own entry point, not `python -m pytest`, so the checkout is not on sys.path and
# the oldest stack's suite imports the installed package. TEST_WORKERS pytest-xdist workers
# (one computing thread each, tests/conftest.py) share the test files; the tests that start a
# process group of several processes (marker `multiprocess`, pytest.ini) then run alone.
TEST_WORKERS ?= 2
test: setup
	CLASSROOMKD_STACK=$(STACK) $(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile -m 'not multiprocess' tests
	CLASSROOMKD_STACK=$(STACK) $(VENV)/bin/pytest -m multiprocess tests

test-all:
	$(MAKE) setup STACK=newest
	$(MAKE) setup STACK=oldest
	$(MAKE) test STACK=newest
	$(MAKE) test STACK=oldest

demo: setup
	$(PYTHON) tools/demo/cifar10_classroom.py

demo-pose: setup
	$(PYTHON) tools/demo/lsp_classroom.py

clean:
	rm -rf work_dirs data/cifar10_demo data/cifar10_tests data/cifar10_testset data/lspet
