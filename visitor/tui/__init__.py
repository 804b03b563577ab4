"""The Textual app: a thin layer over the domain modules (store, editing, workflow, trends, report)."""
