"""The audit report: everything an auditor needs, every value escaped, and a real headless Chromium render."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from bundle_env import Env, build

from provenance.bundle.report import load_report_data, render_html, render_markdown
from provenance.jsonio import load_json_file, write_json

REPO = Path(__file__).resolve().parents[2]
HOSTILE_TITLE = '<script>alert("t")</script> Results & "quotes"'
HOSTILE_CLAIM = "Gain | is **8.2** <img src=x onerror=alert(1)> [x](javascript:alert(2))"


@pytest.fixture(scope="module")
def hostile_bundle(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("report")
    manifest = load_json_file(env.manifest)
    manifest["title"] = HOSTILE_TITLE
    manifest["doi"] = "10.5072/zenodo.1234"
    manifest["claims"][0]["text"] = HOSTILE_CLAIM
    write_json(d / "m.json", manifest)
    out = d / "bundle"
    build(env, out, manifest=d / "m.json")
    return out


def test_html_report_holds_the_record_claims_values_verdicts_keys_and_doi(env: Env, hostile_bundle: Path) -> None:
    data = load_report_data(hostile_bundle, env.trust)
    page = render_html(data)
    assert data.verification is not None and data.verification.ok
    for text in ("c2", "c3", "c4", "c5", "mean(nq, tqa, wq)", "271/30", "1380/89", "falsified", "verified",
                 "scope arithmetic", env.attestor.keyid, "https://doi.org/10.5072/zenodo.1234", "never resolves",
                 "Correction history", "Verification checklist", str(data.bundle_id)):
        assert text in page, text


def test_html_report_escapes_everything_and_loads_nothing(hostile_bundle: Path) -> None:
    page = render_html(load_report_data(hostile_bundle))
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert not any(h.startswith("javascript:") for h in re.findall(r'href="([^"]*)"', page))
    assert not re.search(r"<[^>]*\s(src|srcset|on[a-z]+)=", page)  # no tag loads or runs anything
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page


def test_markdown_report_escapes_markup(hostile_bundle: Path) -> None:
    md = render_markdown(load_report_data(hostile_bundle))
    assert "<script>" not in md and "<img" not in md
    assert r"\*\*8\.2\*\*" in md and r"\|" in md
    rows = [line for line in md.splitlines() if line.startswith("| **c")]
    assert len(rows) == 6 and all(line.count(" | ") == 4 for line in rows)


def test_a_claim_without_a_check_reads_not_checked_without_an_empty_method_and_scope(hostile_bundle: Path) -> None:
    data = load_report_data(hostile_bundle)
    md, page = render_markdown(data), render_html(data)
    unchecked = [line for line in md.splitlines() if line.startswith("| **c") and "`no check`" in line]
    assert unchecked, "the fixture should hold a claim without a check"
    for line in unchecked:
        assert "**not checked**: the claim states no check: nothing to recompute" in line
    for text in (md, page):
        assert "scope None" not in text and "scope —" not in text and "None / scope" not in text


def test_report_of_a_damaged_bundle_says_so(env: Env, hostile_bundle: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(hostile_bundle, damaged)
    (damaged / "data" / "CITATION.cff").write_text("changed\n")
    data = load_report_data(damaged, env.trust)
    assert data.verification is not None and not data.verification.ok
    assert "VERIFICATION FAILED" in render_html(data)
    assert "The bag is damaged" in render_html(load_report_data(damaged))


@pytest.mark.chromium
def test_report_renders_in_headless_chromium(env: Env, hostile_bundle: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (make test installs the Debian package when it can)")
    page = tmp_path / "report.html"
    page.write_text(render_html(load_report_data(hostile_bundle, env.trust)), encoding="utf-8")
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "bundle-report.png"
    shot.unlink(missing_ok=True)
    common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              f"--user-data-dir={tmp_path / 'profile'}"]
    proc = subprocess.run([*common, f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri()],
                          capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=False)
    assert dom.returncode == 0
    assert "VERIFIED" in dom.stdout and "mean(nq, tqa, wq)" in dom.stdout
    assert "<script" not in dom.stdout.lower()
