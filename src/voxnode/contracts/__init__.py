"""Wire models shared by every layer: manifests, repair contract, errors, status views. No logic."""
