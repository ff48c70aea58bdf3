"""The store and what reads or writes it: backends, the validation gate, the facade."""
