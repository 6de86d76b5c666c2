"""The stand-in server: serve the router's handler from a background thread or the foreground."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from archive.zenodo.standin.config import StandinConfig
from archive.zenodo.standin.handler import StandinHTTPServer
from archive.zenodo.standin.router import Handler
from archive.zenodo.standin.state import StandinState


class StandinServer:
    """The stand-in, serving from a background thread or the foreground.

    >>> with StandinServer(data_dir) as server:      # doctest: +SKIP
    ...     client = ZenodoClient(server.base_url, "tok-rw")
    """

    def __init__(self, data_dir: str | os.PathLike[str], config: StandinConfig | None = None,
                 *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or StandinConfig()
        path = Path(data_dir)
        path.mkdir(parents=True, exist_ok=True)
        self.state = StandinState(path, self.config)
        self._httpd = StandinHTTPServer((host, port), Handler)
        self._httpd.state = self.state
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        host = self._httpd.server_address[0]
        text = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{text}:{self.port}"

    def start(self) -> StandinServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="zenodo-standin",
                                        daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def stop_listening(self) -> None:
        """Close the socket after :meth:`serve_forever` returned (foreground use)."""
        self._httpd.server_close()

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
