"""Source grounding: an input's value found, as written, at the place its locator names in a cited file.

``normalise`` (the one text rule), ``numbers`` (number tokens), ``locator``
(structured locators), the forms ``delimited`` (CSV, TSV), ``text`` (text,
Markdown, LaTeX, HTML) and ``pdf``, and ``grounding`` (one input -> a record).
Nothing here knows claims: ``provenance.claims.locate`` (where values occur, for
``claims locate``) and the engine build on it.
"""
