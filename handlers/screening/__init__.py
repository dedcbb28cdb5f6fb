"""The screening ledger (台账): district lists imported, verified household by household, exported."""
