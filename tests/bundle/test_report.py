"""The audit report: everything an auditor needs, every value escaped, and a real headless Chromium render."""

from __future__ import annotations

import html
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


CONTRAST_SCRIPT = """
<script>
function rgb(c){const m=c.match(/[\\d.]+/g).map(Number);return {r:m[0],g:m[1],b:m[2],a:m.length>3?m[3]:1};}
function lum(c){const f=v=>{v/=255;return v<=0.03928?v/12.92:Math.pow((v+0.055)/1.055,2.4);};
  return 0.2126*f(c.r)+0.7152*f(c.g)+0.0722*f(c.b);}
function background(el){for(let e=el;e;e=e.parentElement){const c=rgb(getComputedStyle(e).backgroundColor);
  if(c.a>0)return c;}return {r:255,g:255,b:255,a:1};}
const out=[];
for(const el of document.querySelectorAll('.badge, .banner strong, td, dd')){
  if(!el.innerText.trim())continue;
  const fg=lum(rgb(getComputedStyle(el).color)), bg=lum(background(el));
  out.push({text:el.innerText.trim().slice(0,60), cls:el.className,
            ratio:(Math.max(fg,bg)+0.05)/(Math.min(fg,bg)+0.05)});
}
const pre=document.createElement('pre');pre.id='contrast';pre.textContent=JSON.stringify(out);
document.body.appendChild(pre);
</script>
"""
"""Run in the browser on a copy of the page (the page itself allows no script): every text's contrast."""


def _chromium() -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (make test installs the Debian package when it can)")
    return chromium


def _browser(chromium: str, profile: Path) -> list[str]:
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}"]


@pytest.fixture(scope="module")
def corrected_page(env: Env, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The page of an archived, corrected second version, written by the real CLI; and its archived DOI."""
    import json
    import os
    import sys

    from provenance.signing.keys import save_signing_key

    d = tmp_path_factory.mktemp("corrected-report")
    save_signing_key(env.corrector, d / "corrector.key", None)
    save_signing_key(env.log_key, d / "log.key", None)
    cli_env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}

    def ok(*args: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "provenance", *args], capture_output=True, text=True,
                              env=cli_env, timeout=300, check=False)
        assert proc.returncode == 0, (args, proc.stderr[-2000:])
        return proc.stdout

    common = ["--claims", str(env.checks), "--key", str(env.attestor_path), "--trust", str(env.trust_path),
              "--lean", "off"]
    ok("bundle", "build", str(env.manifest), *common, "-o", str(d / "v1"))
    ok("correct", "append", str(d / "v1"), "--type", "correction", "--claim", "c5",
       "--reason", "The gain is 0.7 points, not 1.8", "--what-was-wrong", "c5 stated a gain of 1.8 points",
       "--what-changed", "c5 now states a gain of 0.7 points", "--key", str(d / "corrector.key"),
       "--log-key", str(d / "log.key"), "--trust", str(env.trust_path))
    ok("bundle", "build", str(env.manifest), *common, "--supersedes", str(d / "v1"), "-o", str(d / "v2"), "--zip")
    archive = d / "archive"
    ok("deposit", str(d / "v1"), "--archive-dir", str(archive), "--trust", str(env.trust_path))
    doi = json.loads(ok("deposit", str(d / "v2.zip"), "--archive-dir", str(archive), "--trust", str(env.trust_path), "--json"))["doi"]
    ok("archive", "fetch", doi, "-o", str(d / "fetched.zip"), "--archive-dir", str(archive))
    page = d / "report.html"
    ok("report", str(d / "fetched.zip"), "-o", str(page), "--trust", str(env.trust_path), "--archive-dir", str(archive))
    return page, doi


def test_the_page_keeps_integrity_and_claims_apart_and_shows_the_correction(corrected_page: tuple[Path, str]) -> None:
    page, doi = corrected_page
    text = page.read_text()
    banners = re.findall(r'<div class="banner (\w+)">(.*?)</div>', text)
    assert banners[0][0] == "good" and "Integrity and signatures: VERIFIED" in banners[0][1]
    assert banners[1][0] == "bad" and "1 falsified (c5)" in banners[1][1] and "1 corrected (c5: CORRECTED)" in banners[1][1]
    assert "CORRECTED" in banners[1][1]
    assert doi.startswith("10.5072/local.") and f">{doi}</a>" in text
    assert "c5 stated a gain of 1.8 points" in text and "c5 now states a gain of 0.7 points" in text
    assert text.count("The gain is 0.7 points, not 1.8") == 1  # the reason once
    assert "Record status  " not in text and "none yet" not in text


@pytest.mark.chromium
def test_every_status_word_is_visible_in_headless_chromium(corrected_page: tuple[Path, str], tmp_path: Path) -> None:
    import json

    chromium = _chromium()
    page, doi = corrected_page
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "bundle-report-corrected.png"
    shot.unlink(missing_ok=True)
    common = _browser(chromium, tmp_path / "profile")
    proc = subprocess.run([*common, f"--screenshot={shot}", "--window-size=1280,2400", page.as_uri()],
                          capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    probe = tmp_path / "probe.html"
    html_text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text())
    probe.write_text(html_text.replace("</body>", CONTRAST_SCRIPT + "</body>"), encoding="utf-8")
    dom = subprocess.run([*common, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120, check=False)
    found = re.search(r'<pre id="contrast">(.*?)</pre>', dom.stdout, re.S)
    assert found, dom.stdout[-2000:]
    measured = json.loads(html.unescape(found.group(1)))
    badges = [m for m in measured if "badge" in m["cls"]]
    words = {m["text"] for m in badges}
    assert {"CORRECTED", "verified", "falsified", "correction", "alert"} <= words, words
    low = [m for m in measured if m["ratio"] < 4.5]
    assert low == [], low  # WCAG AA: every status word and table cell readable
    assert doi in dom.stdout


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
