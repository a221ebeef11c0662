"""Cluster tests: the shared checks live in voxnode.testing.cluster_checks."""
