# Two commands for a newcomer: `make run` (a node at http://127.0.0.1:8080) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= data
URL ?= http://127.0.0.1:8080
NAME ?= reseau
TITLE ?= Mon réseau
STAMP := $(VENV)/.installed

.PHONY: run test lint bench demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	test -f $(DATA)/maillage.toml || $(BIN)/maillage init --data $(DATA) --url $(URL) --name $(NAME) --title "$(TITLE)" --dev
	$(BIN)/maillage serve --data $(DATA)

test: $(STAMP)
	$(BIN)/ruff check node protocol tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider

# The five benchmarks of tests/bench (not tests: pytest never collects them), under 10 minutes.
bench: $(STAMP)
	$(BIN)/python -m tests.bench

demo: $(STAMP)
	$(BIN)/maillage demo

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
