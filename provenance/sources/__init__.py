"""Source grounding: an input's value found, as written, at the place its locator names in a cited file.

``normalise`` (the one text rule), ``numbers`` (number tokens), ``locator``
(structured locators), the forms ``delimited`` (CSV, TSV), ``text`` (text,
Markdown, LaTeX, HTML) and ``pdf``, ``grounding`` (one input -> a record) and
``locate`` (where values occur, for ``claims locate``).
"""
