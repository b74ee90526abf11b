# CityOS: `make demo` and `make test` are the two commands; the rest are their parts.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgres://postgres@127.0.0.1:5432/cityos

.PHONY: demo test install lint typecheck importlint test-sqlite test-postgres messages serve worker clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/cityos demo

serve: install
	$(BIN)/cityos serve --jobs

worker: install
	$(BIN)/cityos worker

lint: install
	$(BIN)/ruff check src bench
	$(BIN)/ruff format --check src bench

typecheck: install
	$(BIN)/mypy

importlint: install
	$(BIN)/python -m cityos.devtools.importlint

test-sqlite: install
	CITYOS_TESTING=1 $(BIN)/pytest -p no:cacheprovider

# CI (CI=true) runs the suite on PostgreSQL too; locally: `make test-postgres`. That run puts
# the city half an hour off UTC (India), so code and tests that mistake UTC for the city's
# clock fail there; set CITYOS_TIME_ZONE to choose another zone.
test-postgres: install
	CITYOS_TESTING=1 DATABASE_URL=$(PG_URL) CITYOS_TIME_ZONE=$${CITYOS_TIME_ZONE:-Asia/Kolkata} $(BIN)/pytest -p no:cacheprovider

test: lint typecheck importlint test-sqlite
	@if [ "$$CI" = "true" ]; then $(MAKE) --no-print-directory test-postgres; fi

messages: install
	cd src/cityos && ../../$(BIN)/cityos makemessages -l zh_Hant -l es --ignore "*/tests/*" && ../../$(BIN)/cityos compilemessages

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
