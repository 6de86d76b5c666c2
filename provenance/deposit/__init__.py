"""Deposit a bundle to Zenodo or the embedded local archive: metadata, tokens, the workflow."""
