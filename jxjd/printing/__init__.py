"""Printing: certificates as PDF (CONTRACT §13)."""
