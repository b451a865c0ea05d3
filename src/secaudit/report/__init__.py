"""Report stage: findings -> per-operator and city bundles (HTML, JSON)."""
