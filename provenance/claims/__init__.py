"""Claims engine: the check format, the formula language, exact evaluation and verdicts.

Public API: :func:`provenance.claims.model.load_claims`,
:func:`provenance.claims.model.parse_check`,
:func:`provenance.claims.formula.parse_formula`,
:func:`provenance.claims.formula.evaluate`,
:func:`provenance.claims.engine.check_claim`,
:func:`provenance.claims.engine.check_claims`, and
:class:`provenance.claims.verdict.Verdict` (re-exported by ``engine``).
"""
