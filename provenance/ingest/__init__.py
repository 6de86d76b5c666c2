"""Ingest a research record (pipe tables, HTML-rendered text, or paper style) into a paper manifest."""

from provenance.ingest.record import MAX_RECORD_BYTES, ingest_bytes, ingest_file

__all__ = ["MAX_RECORD_BYTES", "ingest_bytes", "ingest_file"]
