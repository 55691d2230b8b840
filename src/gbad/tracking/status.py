"""A track's status codes, as the track table, the compiled passes and the output rows
hold them."""

TENTATIVE, CONFIRMED, DELETED = 0, 1, 2
