# Easel. Two commands on a fresh machine: `make run` (the service) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test up worker bench bench-customization lint migrate clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Easel needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

# var/ is private to this account (the secret key, the SQLite file, every image): 0700 and 0600.
var/secret_key:
	@umask 077 && mkdir -p var && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

# run: the embedded topology. SQLite under var/, images under var/media, generation in the
# web process, and the local engines standing in for any provider without a key.
run: $(VENV)/.runtime var/secret_key
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py collectstatic --noinput -v 0
	@EASEL_LOCAL_FALLBACK=$${EASEL_LOCAL_FALLBACK:-1} $(BIN)/python manage.py easel_demo
	EASEL_LOCAL_FALLBACK=$${EASEL_LOCAL_FALLBACK:-1} $(BIN)/uvicorn project.asgi:application \
		--host 127.0.0.1 --port $(PORT) --http project.server:HttpToolsProtocol \
		--timeout-keep-alive $${EASEL_KEEPALIVE_TIMEOUT:-5} --limit-concurrency $${EASEL_WEB_MAX_CONNECTIONS:-1000} \
		--h11-max-incomplete-event-size $${EASEL_MAX_HEADER_BYTES:-65536}

# up: the production topology (web, worker, beat) with honcho, against REDIS_URL and DATABASE_URL.
up: $(VENV)/.runtime var/secret_key
	@test -n "$$REDIS_URL" || (echo "make up needs REDIS_URL (e.g. redis://127.0.0.1:6379/0)"; exit 2)
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py collectstatic --noinput -v 0
	@# `release` (migrate and collectstatic, done above) would end at once, and honcho stops
	@# everything when one process exits; the Procfile's bare commands need the venv on PATH.
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile web worker beat

test: $(VENV)/.dev
	@bash scripts/test-prerequisites.sh
	DJANGO_SECRET_KEY=test-secret-key $(BIN)/python -m pytest $(PYTEST_ARGS)

# bench: the streaming benchmark (bench/run.py; not part of `make test`): one paced fake LLM stream
# direct, through Easel (Redis + Celery) and through a pinned LiteLLM proxy, the trace of a turn, media latency and
# image turns held; about 20 minutes.
bench: $(VENV)/.dev
	@bash scripts/test-prerequisites.sh
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# bench-customization: the preview tier's latency for a storefront (first variant, all n), both topologies.
bench-customization: $(VENV)/.dev
	@bash scripts/test-prerequisites.sh
	DJANGO_SECRET_KEY=bench-secret-key $(BIN)/python -m bench.customization $(BENCH_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var
