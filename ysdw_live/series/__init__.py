"""Series: an ongoing programme of meetings with its topics."""
