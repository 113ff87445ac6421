# One command surface for people and CI; every target is a script in scripts/.
.PHONY: help run test lint bench
help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'
run:   ## install everything and serve the demo halls at http://127.0.0.1:5000
	bash scripts/run
test:  ## install test needs and run lint and the whole suite
	bash scripts/test
lint:  ## ruff check and format check
	.venv/bin/ruff check server tests scripts && .venv/bin/ruff format --check server tests scripts
bench: ## the benchmarks: API latency, CLI start-up, routes, tiling (see scripts/bench_*.py)
	.venv/bin/python scripts/bench_api.py
	.venv/bin/python scripts/bench_cli.py
	.venv/bin/python scripts/bench_route.py
	.venv/bin/pip install -q -e .[bench] && .venv/bin/python scripts/bench_tiles.py
