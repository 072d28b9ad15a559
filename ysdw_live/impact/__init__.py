"""Impact across a series' meetings: reach, trust and confidence, representation and actions."""
