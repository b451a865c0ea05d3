"""Evaluate stage: controls + parsed evidence + knobs -> findings. Pure."""
