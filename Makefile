# virtconsole: `make run` serves the console, `make test` runs every test.
.PHONY: run test setup contract

run:
	bash scripts/setup.sh
	bash scripts/run.sh

test:
	bash scripts/setup.sh --test
	bash scripts/test.sh

setup:
	bash scripts/setup.sh

# The API v1 / websocket v1 append-only contract alone (also part of `make test`).
contract:
	.venv/bin/python manage.py api_contract --check
