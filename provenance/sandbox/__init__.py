"""Sealed execution: :class:`Sandbox` (bubblewrap) and the explicit unsafe :class:`HostRunner`."""

from provenance.sandbox.runner import (
    BWRAP_INSTALL_HINT,
    UNSAFE_HOST_RUNNER,
    Bind,
    BubblewrapSandbox,
    HostRunner,
    Sandbox,
    SandboxError,
    SandboxRequest,
    SandboxResult,
    choose_sandbox,
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
    "UNSAFE_HOST_RUNNER",
    "choose_sandbox",
]
