"""Parse stage: TextFSM rows and configuration trees. Pure functions, no I/O besides templates."""
