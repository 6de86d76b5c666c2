"""References as arXiv ids, DOIs and URLs."""

from __future__ import annotations

import re

_URL = re.compile(r"https?://[^\s<>\"']+")
_ARXIV_URL = re.compile(r"(?ai)arxiv\.org/(?:abs|pdf)/([0-9]{4}\.[0-9]{4,5}(?:v[0-9]+)?|[a-z\-]+(?:\.[A-Z]{2})?/[0-9]{7}(?:v[0-9]+)?)")
_ARXIV_ID = re.compile(r"(?ai)\barxiv:\s*([0-9]{4}\.[0-9]{4,5}(?:v[0-9]+)?)")
_DOI = re.compile(r"(?a)\b(10\.[0-9]{4,9}/[^\s<>\"']+)")


def parse_reference(line: str) -> dict[str, str | None] | None:
    """One reference from a line of a references section ("- <http://arxiv.org/abs/...>"); None if blank."""
    text = line.strip()
    if text.startswith(("- ", "* ", "\u2022 ")):
        text = text[2:].strip()
    if not text:
        return None
    url_match = _URL.search(text)
    url = url_match[0].rstrip(".,;)>") if url_match else None
    if url and (m := _ARXIV_URL.search(url)):
        return {"kind": "arxiv", "id": m[1], "url": url, "text": text}
    if m := _ARXIV_ID.search(text):
        return {"kind": "arxiv", "id": m[1], "url": url or f"https://arxiv.org/abs/{m[1]}", "text": text}
    if m := _DOI.search(text):
        doi = m[1].rstrip(".,;)>")
        return {"kind": "doi", "id": doi, "url": url or f"https://doi.org/{doi}", "text": text}
    if url:
        return {"kind": "url", "id": None, "url": url, "text": text}
    return {"kind": "text", "id": None, "url": None, "text": text}
