"""Screening coverage (逐小区、逐户) per community and compound."""
