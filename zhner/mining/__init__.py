"""Unsupervised domain-term mining (METHODS.md §4)."""
