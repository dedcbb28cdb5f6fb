"""Check results (排查登记) by form or one line, with the immediate fever alert."""
