"""Checks of the bag itself: the validator's findings as checklist lines, and bag-info's own fields."""

from __future__ import annotations

from provenance.bundle.verify.context import Checklist

_MAX_VERSION_DIGITS = 9


def check_bag(out: Checklist) -> None:
    """One line per bag finding; a file whose bytes changed is one line (not one per algorithm)."""
    bag = out.bag
    mismatched: dict[str, list[str]] = {}
    for f in bag.findings:
        if f.level == "error" and f.code == "mismatch" and f.path is not None:
            mismatched.setdefault(f.path, []).append(f.message)
            continue
        if f.level == "error":
            out.fail(f"bag.{f.code}", f.message, f.path)
        else:
            out.skip(f"bag.{f.code}", f"warning: {f.message}", f.path)
    for path, messages in mismatched.items():
        out.changed.add(path)
        more = f" (and {len(messages) - 1} more digest(s) disagree)" if len(messages) > 1 else ""
        out.fail("bag.mismatch", f"the file changed since it was bagged: {messages[0]}{more}; every record of its "
                 "old digest (attestation, crate, source provenance) disagrees with it too", path)
    if bag.ok:
        oxum = bag.info("Payload-Oxum")
        out.ok(
            "bag.valid",
            f"BagIt {bag.version} bag complete and valid: {len(bag.files)} files, every "
            f"{' and '.join(sorted(bag.payload_manifests))} digest matches"
            + (f"; Payload-Oxum {oxum[0]}" if oxum else ""),
        )
        out.ok("bag.paths", "no unsafe path, symlink, special file or unlisted file")


def _positive(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= _MAX_VERSION_DIGITS and int(text) else None


def check_bag_info(out: Checklist) -> None:
    """Bagging-Date, Bundle-Version and Previous-Bundle-Id, each once and well formed."""
    bag = out.bag
    problems = []
    dates = bag.info("Bagging-Date")
    if len(dates) != 1 or len(dates[0]) != 10:
        problems.append("Bagging-Date must appear once as YYYY-MM-DD")
    versions = bag.info("Bundle-Version")
    version = _positive(versions[0]) if len(versions) == 1 else None
    if version is None:
        problems.append("Bundle-Version must appear once as a positive integer")
    previous = bag.info("Previous-Bundle-Id")
    if len(previous) > 1 or any(not (p.startswith("sha256:") and len(p) == 71) for p in previous):
        problems.append("Previous-Bundle-Id must appear at most once as sha256:<64 hex>")
    if previous and version is not None and version < 2:
        problems.append("a bundle with a Previous-Bundle-Id has Bundle-Version 2 or more")
    for problem in problems:
        out.fail("bag-info.fields", problem, "bag-info.txt")
    if not problems:
        extra = f", supersedes {previous[0]}" if previous else ""
        out.ok("bag-info.fields", f"Bagging-Date {dates[0]}, Bundle-Version {version}{extra}", "bag-info.txt")
