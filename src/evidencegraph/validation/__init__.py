"""SHACL validation: the report, the engines, and the gate that judges a batch."""
