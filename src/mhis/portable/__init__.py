"""The record that travels with the person: International Patient Summary (FHIR R4)."""
