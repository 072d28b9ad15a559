"""Privacy (UK GDPR): retention and purging, the privacy notice, backups."""
