"""The `voxnode` command: thin, calls the node's API or, with no node running, the layers below."""
