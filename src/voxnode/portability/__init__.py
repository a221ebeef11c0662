"""What differs between operating systems, behind small functions (nothing POSIX-only is
imported at module level elsewhere): file locks and process groups."""
