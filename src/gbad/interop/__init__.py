"""Meeting the users' own tools: ASTERIX out and in, packet captures."""
