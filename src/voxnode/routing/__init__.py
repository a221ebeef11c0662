"""Local or cloud, per request: rules as pure functions over data (seed 003 decision 4)."""
