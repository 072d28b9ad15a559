"""You Said, We Did: actions that answer concerns, their public updates and the report-back."""
