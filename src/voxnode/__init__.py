"""VoxNode: a local AI node for real-time speech translation."""

__version__ = "0.1.0"
