"""``provenance zenodo standin``: run the loopback Zenodo stand-in server."""

from __future__ import annotations

import json
import secrets
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType

import click

from archive.zenodo.standin import ACTIONS, WRITE, StandinConfig, StandinServer
from provenance.cli.output import console
from provenance.errors import InputError

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@click.group("zenodo")
def zenodo_group() -> None:
    """Zenodo helpers: a faithful local stand-in for rehearsing deposits offline."""


@zenodo_group.command("standin")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to listen on.")
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="State directory (survives restarts).")
@click.option("--token", "tokens", multiple=True, help="Accept this token with both deposit scopes (repeatable).")
@click.option("--write-only-token", "write_tokens", multiple=True,
              help="Accept this token with deposit:write only (to rehearse scope errors).")
@click.option("--rate-limit", default=100, show_default=True, help="Requests per minute per token (0: off).")
@click.option("--search-lag", default=0.0, show_default=True, help="Seconds before a new draft shows in lists.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line {url, token} when ready.")
def standin_cmd(host: str, port: int, data_dir: str | None, tokens: tuple[str, ...], write_tokens: tuple[str, ...],
                rate_limit: int, search_lag: float, as_json: bool) -> int:
    """Serve the Zenodo legacy deposit API on loopback until interrupted.

    Deposit to it with `ZENODO_ACCESS_TOKEN=... provenance deposit BUNDLE --trust TRUST_ROOT --to
    http://127.0.0.1:PORT`. Rehearse Zenodo's failures by POSTing fault rules to /_control/faults
    (GET /_control/state shows what the server holds and which faults fired):

    \b
    {"rules": [{"method": "PUT", "path_regex": "/files/", "nth": 1,
                "action": {"type": "reset_after_bytes", "n": 1000}}]}
    action types: status, delay, rate_limit, reset_after_bytes, succeed_then_status, corrupt_checksum
    """
    if host not in LOOPBACK:
        raise InputError(f"--host {host} is not a loopback address", where="--host",
                         remedy="the stand-in is for loopback only; use 127.0.0.1")
    generated = None
    accepted = list(tokens)
    if not accepted:
        generated = secrets.token_urlsafe(24)
        accepted = [generated]
    config = StandinConfig(
        tokens={**{t: {"owner": 1, "scopes": [WRITE, ACTIONS]} for t in accepted},
                **{t: {"owner": 1, "scopes": [WRITE]} for t in write_tokens}},
        rate_limit=rate_limit,
        search_lag_s=search_lag,
    )
    directory = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="zenodo-standin-"))
    server = StandinServer(directory, config, host=host, port=port)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    if as_json:
        line = {"url": server.base_url, "api": server.base_url + "/api", "data_dir": str(directory)}
        if generated:
            line["token"] = generated
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
    else:
        console.print(f"Zenodo stand-in on {server.base_url}/api (state in {directory})")
        if generated:
            console.print(f"token (both deposit scopes): {generated}")
        console.print(f"deposit with: ZENODO_ACCESS_TOKEN=... provenance deposit BUNDLE --trust TRUST_ROOT "
                      f"--to {server.base_url}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop_listening()
    return 0


def register(group: click.Group) -> None:
    group.add_command(zenodo_group)
