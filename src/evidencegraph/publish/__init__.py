"""Publishing the whole graph: sorted dumps, their VoID description, and diffs between dumps."""
