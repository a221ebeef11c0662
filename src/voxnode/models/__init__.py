"""Model catalog and manager: sources (PyPI parts, HTTP/HF, local), resume, sha256, residency."""
