"""Domain helpers every feature may use: access rules, audiences, labels, parsers, masking, ID cards."""
