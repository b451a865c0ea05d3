"""Collect stage: turn devices (live) or saved files (offline) into ``Evidence``."""
