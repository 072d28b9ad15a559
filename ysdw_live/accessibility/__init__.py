"""The accessibility statement, in the UK public sector model format."""
