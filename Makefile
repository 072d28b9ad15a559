# YSWD Live — the three commands a newcomer needs: setup, run, test.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
VENDOR := static/vendor

.PHONY: setup run test lint bench clean translations

# Compiled catalogues (.mo) are built from the committed .po files, never committed.
MO := $(patsubst %.po,%.mo,$(wildcard ysdw_live/translations/*/LC_MESSAGES/messages.po))

setup: $(BIN)/.installed $(VENDOR)/.installed $(MO)

%.mo: %.po $(BIN)/.installed
	$(BIN)/pybabel -q compile -i $< -o $@

# After changing wording: extract messages.pot, merge it into every language, compile.
translations: setup
	bash scripts/i18n.sh

$(BIN)/.installed: requirements.txt
	@command -v $(PY) >/dev/null || { echo "Python 3.11 is needed (set PY=... to another 3.11 interpreter)"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENDOR)/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the browser libraries (apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/socket.io-client/dist/socket.io.esm.min.js $(VENDOR)/socket.io.esm.min.js
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/chart.umd.min.js
	cp node_modules/axe-core/axe.min.js $(VENDOR)/axe.min.js
	touch $@

run: setup
	$(BIN)/python app.py $(if $(DEMO),--demo,)

test: setup
	bash scripts/test.sh

lint: setup
	$(BIN)/ruff check ysdw_live tests app.py bench tools
	$(BIN)/ruff format --check ysdw_live tests app.py bench tools

bench: setup
	$(BIN)/python bench/load.py --phones 1000 --modes $(or $(MODES),gevent)

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .hypothesis
