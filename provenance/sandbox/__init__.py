"""Sealed execution: :class:`Sandbox` (bubblewrap) and the explicit unsafe :class:`HostRunner`."""

from provenance.sandbox.runner import (
    BWRAP_INSTALL_HINT,
    Bind,
    BubblewrapSandbox,
    HostRunner,
    Sandbox,
    SandboxError,
    SandboxRequest,
    SandboxResult,
)

__all__ = [
    "BWRAP_INSTALL_HINT",
    "Bind",
    "BubblewrapSandbox",
    "HostRunner",
    "Sandbox",
    "SandboxError",
    "SandboxRequest",
    "SandboxResult",
]
