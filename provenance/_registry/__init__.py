"""The manifest registry's machinery: the soft-binding fingerprint and assertion, query
windows, the anti-spoofing match rule, the SQLite and PostgreSQL stores, the Soft Binding
Resolution API server and its HTTP client (docs/registry.md). `provenance.registry` is
the way in; nothing here is imported until a registry is used (NumPy, databases)."""
