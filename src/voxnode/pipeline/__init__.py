"""Coordination above the supervisor and the packages: hot-plug, routing, stages."""
