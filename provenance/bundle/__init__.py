"""Bundles: a signed BagIt 1.0 bag whose ``data/`` is an RO-Crate 1.2 (see :mod:`.layout`).

``build.build_bundle`` writes one, ``verify.verify_bundle`` checks all of it offline,
``read.open_bundle`` reads its identity without extracting, ``report`` renders it.
"""
