"""Export: choose part of the graph and write it in the format another tool reads."""
