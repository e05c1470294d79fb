"""Static files, served by WhiteNoise from the collected STATIC_ROOT."""

from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise that indexes the collected files once per process.

    WhiteNoise stats every collected file and builds its headers (about 800 files, 0.2 s) each time a handler loads
    the middleware chain. The server does that once, but Django's test Client does it once per client, which
    was about a third of the test suite's time. The index only changes with collectstatic, which runs before the
    server starts.
    """

    _indexed = {}  # (root, prefix) -> the files WhiteNoise found there, {url: its StaticFile or Redirect}

    def update_files_dictionary(self, root, prefix):
        key = (root, prefix)
        if key not in self._indexed:
            before = dict(self.files)
            super().update_files_dictionary(root, prefix)
            self._indexed[key] = {url: found for url, found in self.files.items() if before.get(url) is not found}
        self.files.update(self._indexed[key])
