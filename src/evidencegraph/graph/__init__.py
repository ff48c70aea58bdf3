"""The facade: EvidenceGraph, the import pipeline over it, and network analysis."""
