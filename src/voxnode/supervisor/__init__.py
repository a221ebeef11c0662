"""One supervised process per service: state machine, readiness, restart, logs, orphans."""
