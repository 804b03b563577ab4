"""The trends engine: series per measure, references to judge them by, small-count statistics, rules,
themes and the replay of a home's history. ``visitor.trends`` is the public entry point.

Nothing here is imported at start-up; the dashboard reads stored summaries only.
"""
