"""The child process of :class:`provenance.sources.pdf.IsolatedExtractor`: a PDF on stdin, its pages' text as JSON on stdout.

Run as ``main([ROOT, MEMORY_BYTES, TIMEOUT_SECONDS])`` (see ``pdf._WORKER``), it
limits its own address space and CPU time first, then answers one JSON
object: ``{"extractor": "pypdf 7.1.1", "pages": [...]}`` or ``{"error": "..."}``.
"""

from __future__ import annotations

import json
import math
import resource
import sys
import time

from provenance.sources.errors import SourceUnreadable
from provenance.sources.pdf import MAX_PDF_BYTES, extract_pages, extractor_name


def main(argv: list[str]) -> int:
    memory, timeout = int(argv[1]), float(argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = math.ceil(timeout) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    data = sys.stdin.buffer.read(MAX_PDF_BYTES + 1)
    try:
        pages = extract_pages(data, where="", deadline=time.monotonic() + timeout)
        answer: dict[str, object] = {"extractor": extractor_name(), "pages": pages}
    except SourceUnreadable as exc:
        answer = {"error": exc.message}
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
