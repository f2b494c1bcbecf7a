"""Backup and restore (CONTRACT §15): `flask --app app backup DIR` and `flask --app app restore DIR`."""
