"""reg44: the Regulation 44 independent visitor's app. The domain layer never imports Textual."""

__version__ = "0.1.0"
