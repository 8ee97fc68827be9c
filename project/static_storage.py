"""Static files with a content hash in their names and gzip twins, so browsers keep them a year.

`manage.py collectstatic` (run by `make run`, `make up` and the Procfile's release) copies the
files to STATIC_ROOT as `app.<hash>.css` beside `app.css`, compresses each (`.gz`; `.br` too when
the brotli package is installed) and writes the manifest; `{% static %}` then names the hashed
file, which servestatic serves with `Cache-Control: max-age=315360000, public, immutable` and the
compressed twin the client accepts. The plain names stay served (the finders, max-age 60).
"""

from __future__ import annotations

import logging

from servestatic.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class StaticStorage(CompressedManifestStaticFilesStorage):
    """servestatic's storage, except that a file the manifest does not name keeps its plain URL
    instead of failing the page: collectstatic not run (in-process tests, a checkout started by
    hand) or run before the file was added. The finders serve it, briefly cached."""

    _warned = False

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            # servestatic also asks for names that are not files (`x.full.js` without its hash
            # is `x.js`), so only a missing manifest is worth a word, once per process.
            if not self.hashed_files and not StaticStorage._warned:
                StaticStorage._warned = True
                logger.warning("No static files manifest in %s: run manage.py collectstatic", self.location)
            return name
