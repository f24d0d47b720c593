# creditsvc: its steps are the README's install command, which .ci/run runs (with the test extra) on every
# submission.
FROM python:3.11-slim

# The system libraries WeasyPrint renders PDFs with (the same apt line as the README and .ci/run).
RUN apt-get update && apt-get install -y python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*

# WORKDIR would create /app as root, and the non-root user could not make its venv there.
RUN useradd --create-home --uid 10001 creditsvc && install -d -o creditsvc -g creditsvc /app
WORKDIR /app
COPY --chown=creditsvc:creditsvc . /app
USER creditsvc
# Fonts travel inside the package (creditsvc/templates/fonts), so no font package is needed.
# The README's install command as written (.ci/run runs it with the test extra).
ENV PIP_NO_CACHE_DIR=1
RUN python3 -m venv .venv && .venv/bin/pip install -e .

ENV PATH="/app/.venv/bin:$PATH" \
    CREDITSVC_DATABASE_URL="sqlite:////home/creditsvc/creditsvc.sqlite3" \
    PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"
# gunicorn stops gracefully on SIGTERM (docker stop): requests in flight get 30 s to finish.
STOPSIGNAL SIGTERM
CMD ["creditsvc", "serve", "--host", "0.0.0.0", "--port", "8000"]
