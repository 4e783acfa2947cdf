"""MHIS — the Migration Health Information System."""

__version__ = "0.1.0"
