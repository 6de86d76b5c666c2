"""Claims engine: the check format, the formula language, exact evaluation and verdicts.

Modules, and what other parts call (decimal strings <-> exact values: :mod:`provenance.decimal_text`,
below this package and the sources it reads):

* :mod:`~provenance.claims.formula`: ``parse_formula(text, input_names)`` -> AST
  (``Num Name Neg BinOp Call``), ``evaluate(expr, values)`` -> ``Fraction``.
* :mod:`~provenance.claims.model`: ``Check``, ``Claim``, ``parse_check``, ``load_claims``.
* :mod:`~provenance.claims.engine`: ``check_claim``, ``check_claims``, ``compare``.
* :mod:`~provenance.claims.verdict`: ``Verdict`` (verdict-v1).
* :mod:`~provenance.claims.repro`: ``run_repro`` (a script in a :mod:`provenance.sandbox`) and
  ``apply_repro`` (its outputs as claim inputs, scope ``reproduced``).
* :mod:`~provenance.claims.suggest`: checks proposed from claim text, never verdicts.
* :mod:`~provenance.claims.locate`: where input values occur in given sources (``claims locate``).

The pipeline that runs these checks, then Lean, then repro runs (``claims check``,
``repro run``, ``bundle build``) sits above this package and Lean's: :mod:`provenance.pipeline`.
"""
