"""Frozen data models exchanged between pipeline stages."""
