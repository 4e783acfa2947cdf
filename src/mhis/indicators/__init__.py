"""Indicators: definitions as data, two engines, small-cell suppression, dashboards and exports."""
