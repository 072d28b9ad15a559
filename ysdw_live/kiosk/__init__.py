"""Kiosk mode: a shared tablet at the venue door takes one person's concern or survey at a time."""
