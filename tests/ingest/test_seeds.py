"""The three seed records ingest to valid manifests with the values they state."""

from __future__ import annotations

from pathlib import Path

from provenance.ingest import ingest_file
from provenance.schemas import validate


def _seed(seeds_dir: Path, prefix: str) -> dict:  # type: ignore[type-arg]
    (path,) = sorted(seeds_dir.glob(f"{prefix}_*.txt"))
    manifest = ingest_file(path)
    assert validate(manifest, "paper-manifest-v1.1") == []
    return manifest


def test_pipe_table_seed(seeds_dir: Path) -> None:
    m = _seed(seeds_dir, "000")
    assert m["source"]["form"] == "pipe-table"
    assert m["title"] == "Multilingual Intermediate-Task Training and Zero-Shot Transfer Accuracy on XTREME-R Subsets"
    assert m["research_question"].startswith("How does multilingual intermediate-task training affect")
    assert m["abstract"].startswith("Intermediate-task training")
    assert m["abstract_truncated"] is True
    gv = m["gate_verdict"]
    assert gv["status"] == "verified"
    assert gv["status_label"] == "Verified"
    assert gv["gate"] == "Gate 2 — Verification (formal proof or sandbox reproduction)"
    assert gv["reason"] == "Sealed-sandbox formula repro: Computed 7.57 matches expected 7.57 (tolerance=5.0%)."
    assert gv["evaluated_at"] == "2026-06-17T13:01:00.799069+00:00"
    assert m["verification_level"]["paper_level"] == {"level": "L2", "label": "Source-grounded claims"}
    assert m["verification_level"]["source_grounded_claims"] == 9
    assert m["quality_tier"]["tier"] == "Flagship candidate"
    assert m["quality_dimensions"]["dimensions"] == {
        "evidence_strength": "MEDIUM",
        "citation_grounding": "MEDIUM",
        "uncertainty_disclosure": "MEDIUM",
        "reproducibility_status": "HIGH",
    }
    cr = m["correction_record"]
    assert (cr["status"], cr["count"]) == ("CURRENT", 0)
    assert (cr["manifest_contract"], cr["correction_contract"]) == ("paper-manifest-v1.1", "correction-record-v1")
    prov = m["provenance"]
    assert prov["publisher"] == "Assignee Research"
    assert prov["public_provenance"] == {"level": "L4", "label": "External archival record"}
    assert prov["provenance_contract"] == "source-provenance-v1"
    assert prov["claim_lineage"] == "9 aggregate source-grounded claims"
    assert prov["note"] == "Machine-generated synthesis of existing literature. Not primary research."
    assert m["claims"] == [] and m["references"] == []


def test_html_text_seed_labels_run_into_values(seeds_dir: Path) -> None:
    m = _seed(seeds_dir, "002")
    assert m["source"]["form"] == "html-text"
    assert m["record_id"] == "SRCH:2A059E4E"
    assert m["title"] == "Intermediate-Task Fine-Tuning Effects on Zero-Shot Cross-Lingual Robustness"
    assert m["submitted"] == "2026-06-30"
    assert m["review_score"] == {"value": "9.17", "scale": "10"}
    assert m["doi"] == "10.5281/zenodo.21059700"
    assert m["claim_counts"]["verified"] == 9
    gv = m["gate_verdict"]
    assert gv["status"] == "falsified"
    assert gv["reason"].startswith("[Gate 3 RED-TEAM FALSIFIED] avg_attack_score=7.1/10.")
    assert gv["evaluated_at"] == "2026-06-30T09:02:38.383543+00:00"
    assert m["verification_level"]["paper_level"]["level"] == "L2"
    assert m["verification_level"]["source_grounded_claims"] == 9
    assert m["correction_record"]["count"] == 0
    assert m["provenance"]["external_record"] == "Registered"
    assert "Research" in m["extra"]["navigation"]


def test_paper_seed_claims_and_references(seeds_dir: Path) -> None:
    m = _seed(seeds_dir, "003")
    assert m["source"]["form"] == "paper"
    assert m["submitted"] == "2026-06-19"
    assert m["authors"] == [{"name": "Assignee Research"}]
    assert m["research_question"].startswith("Does incorporating multilingual intermediate tasks")
    assert m["research_question"].endswith("high-resource language tasks?")
    claims = m["claims"]
    assert len(claims) == 10
    assert [c["id"] for c in claims] == [f"c{i}" for i in range(1, 11)]
    assert claims[0]["text"] == (
        "Intermediate-task training on SQuAD, MNLI, and HellaSwag yields large target-task "
        "improvements of 8.2, 7.5, and 7.0 point"
    )
    assert claims[0]["truncated"] is True
    assert claims[1]["text"] == "Multi-task intermediate-task training on all 9 tasks performs best, improving by 8.7 points."
    assert claims[1]["truncated"] is False
    assert all(c["verified"] is True for c in claims)
    assert [c["confidence"] for c in claims][:3] == ["0.27", "0.25", "0.30"]
    assert [r["id"] for r in m["references"]] == ["2104.07412v2", "2005.00633v1", "2005.13013v2"]
    assert all(r["kind"] == "arxiv" for r in m["references"])
    assert m["claim_counts"] == {"extracted": 10, "verified": 10, "papers_retrieved": 14}
    assert m["review_score"] == {"value": "9.2", "scale": "10"}
    for section in ("Introduction", "Methodology", "Results", "Limitations"):
        assert section in m["extra"]


def test_examples_ingest_and_keep_unknown_sections(repo_dir: Path) -> None:
    forms = {}
    for path in sorted((repo_dir / "examples").glob("*.txt")):
        m = ingest_file(path)
        assert validate(m, "paper-manifest-v1.1") == []
        forms[m["source"]["form"]] = m
    assert set(forms) == {"pipe-table", "html-text", "paper"}
    assert "Amharic" in forms["pipe-table"]["extra"]["Dataset Notes"]
    assert forms["html-text"]["gate_verdict"]["status"] == "inconclusive"
    assert forms["paper"]["claims"][5]["verified"] is False
    assert forms["paper"]["references"][3] == {
        "kind": "doi",
        "id": "10.18653/v1/2020.emnlp-main.550",
        "url": "https://doi.org/10.18653/v1/2020.emnlp-main.550",
        "text": "doi:10.18653/v1/2020.emnlp-main.550",
    }
