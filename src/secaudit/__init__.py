"""secaudit: network-security assurance auditing for OLTs, gateways and 5G edge routers.

The pipeline is ``inventory -> collect -> parse -> evaluate -> report -> sign``; each stage is its
own package and they exchange the frozen models of :mod:`secaudit.models`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
