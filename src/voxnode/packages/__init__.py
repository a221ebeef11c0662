"""Install, upgrade, roll back and uninstall service packages; the registry file."""
