"""Output helpers shared by the commands: JSON for machines, rich tables for people."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(obj: Any) -> None:
    """Print ``obj`` as indented JSON on stdout (the ``--json`` contract)."""
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def json_option_help() -> str:
    return "Print machine-readable JSON on stdout instead of readable output."
