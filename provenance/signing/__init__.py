"""Keys, DSSE envelopes, in-toto statements, the trust root and source provenance.

Modules: :mod:`.keys` (Ed25519 keys and key files), :mod:`.dsse` (PAE, sign,
verify), :mod:`.intoto` (Statement v1), :mod:`.trust` (the versioned,
threshold-signed trust root), :mod:`.source_provenance` (source-provenance-v1),
:mod:`.errors` (one error class per failure).
"""
