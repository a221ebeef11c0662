"""The one signal a repairer gives when its deadline passed mid-work."""


class DeadlineExceeded(Exception):
    """The repair ran out of time; the service answers PASS with TIMEOUT."""
