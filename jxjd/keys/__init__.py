"""The key store against the database: fingerprints, the start-up check, readiness."""
