# virtconsole: `make run` serves the console, `make test` runs every test.
.PHONY: run test setup

run:
	bash scripts/setup.sh
	bash scripts/run.sh

test:
	bash scripts/setup.sh --test
	bash scripts/test.sh

setup:
	bash scripts/setup.sh
