# The README's two commands: `make demo` and `make test`. Both set up .venv when needed.
PY := .venv/bin/python

.PHONY: setup demo test data lint bench docs
setup:
	@bash scripts/setup.sh

demo: setup
	$(PY) -m coachstats demo --out reports

test: setup
	$(PY) -m pytest

# Regenerate the bundled synthetic datasets byte for byte (a test checks they match).
data: setup
	$(PY) -m coachstats simulate all --out data/synthetic

lint: setup
	$(PY) -m ruff check src tests benchmarks

bench: setup
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

# The API reference (from the docstrings) and the studies gallery, warnings as errors.
docs: setup
	$(PY) -m sphinx -b html -W --keep-going -q docs docs/_build/html
