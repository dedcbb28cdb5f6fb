"""Domain helpers every feature may use: access, audiences, labels, parsers, health, masking, ID cards."""
