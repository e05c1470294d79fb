# virtconsole: `make run` serves the console, `make test` runs every test, `make cluster N=3` serves the
# production shape on this machine.
.PHONY: run test setup contract cluster

N ?= 3
PORT ?= 8000

run:
	bash scripts/setup.sh
	bash scripts/run.sh

test:
	bash scripts/setup.sh --test
	bash scripts/test.sh

# N Daphne processes behind nginx on 127.0.0.1:PORT, on PostgreSQL and Redis, with the local libvirtd as host.
cluster:
	N=$(N) PORT=$(PORT) bash scripts/cluster.sh

setup:
	bash scripts/setup.sh

# The API v1 / websocket v1 append-only contract alone (also part of `make test`).
contract:
	.venv/bin/python manage.py api_contract --check
