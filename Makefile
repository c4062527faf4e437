# classroomkd_mm: `make setup`, `make test`, `make demo` (each sets up first if needed).
PYTHON := .venv/bin/python

.PHONY: setup test demo demo-pose clean

setup:
	@bash scripts/setup_env.sh

test: setup
	$(PYTHON) -m pytest tests

demo: setup
	$(PYTHON) tools/demo/cifar10_classroom.py

demo-pose: setup
	$(PYTHON) tools/demo/lsp_classroom.py

clean:
	rm -rf work_dirs data/cifar10_demo data/cifar10_tests data/cifar10_testset data/lspet
