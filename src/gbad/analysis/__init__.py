"""Analysis: metrics that compare estimates with truth (scoring reads truth on purpose)."""
