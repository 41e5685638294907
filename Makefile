# Two commands for a newcomer: `make run` (a node at http://127.0.0.1:8080) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= data
URL ?= http://127.0.0.1:8080
NAME ?= reseau
TITLE ?= Mon réseau
# `make run` installs what serving needs; `make test` (and bench, demo, i18n) add the test toolchain.
STAMP_RUN := $(VENV)/.installed-run
STAMP := $(VENV)/.installed

.PHONY: run test lint bench demo clean i18n

$(STAMP_RUN): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP_RUN)

$(STAMP): $(STAMP_RUN)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# URL, NAME and TITLE only shape a new node: an existing one keeps its address (its actors' IRIs are
# other servers' references to it), so a different URL given later is said, not silently ignored.
run: $(STAMP_RUN)
	@if [ -f $(DATA)/maillage.toml ]; then \
		if [ "$(origin URL)" = "command line" ] && ! grep -q '^base_url = "$(URL)"' $(DATA)/maillage.toml; then \
			echo "note: $(DATA)/ already holds a node at $$(sed -n 's/^base_url = "\(.*\)"/\1/p' $(DATA)/maillage.toml);" \
				"URL=$(URL) only applies to a new node (make run DATA=otherfolder URL=$(URL))" >&2; \
		fi; \
	else \
		$(BIN)/maillage init --data $(DATA) --url $(URL) --name $(NAME) --title "$(TITLE)" --dev; \
		echo "Log in at $(URL)/login with the admin name and password printed above."; \
	fi
	$(BIN)/maillage serve --data $(DATA)

test: $(STAMP)
	$(BIN)/ruff check node protocol tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider

# The five benchmarks of tests/bench (not tests: pytest never collects them), under 10 minutes.
bench: $(STAMP)
	$(BIN)/python -m tests.bench

# Interface strings: extract `_()`/`ngettext()` from node/ and templates/ (babel.cfg) into
# locale/messages.pot, then merge it into locale/{fr,es,pt}/LC_MESSAGES/messages.po. New strings arrive
# untranslated (and close guesses as fuzzy): translate them, remove the fuzzy flags; tests/node/test_i18n.py
# fails until every string is translated. The app compiles the .po files in memory at start.
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -o locale/messages.pot --ignore-dirs=".* _* tests deploy docs static" \
		--add-location=file --sort-output --project=Maillage --version=0.1 \
		--copyright-holder="Maillage contributors" --msgid-bugs-address="" .
	$(BIN)/pybabel update -i locale/messages.pot -d locale -D messages -w 100 --ignore-obsolete \
		--ignore-pot-creation-date

demo: $(STAMP)
	$(BIN)/maillage demo

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
