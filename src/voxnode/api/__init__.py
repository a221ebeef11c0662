"""The node's HTTP and WebSocket API (contract 4) and its dashboard."""
