"""The underwriters' review queue: cases with a state machine and service levels, and
maker-checker (four-eyes) approval of the decisions that need a second person."""
