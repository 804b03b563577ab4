"""The benchmark: does reg44 stay instant with ten years of visits, and at agency size?

``python -m visitor.bench`` (see ``run``); ``--scale`` for the 200-home figures. Kept free of imports so
the probe processes it starts (``probe``) measure only what they load themselves.
"""


def __getattr__(name: str):
    """``visitor.bench.build`` (used by ``visitor.hub.bench``) without importing it at package import."""
    if name == "build":
        from visitor.bench.dataset import build

        return build
    raise AttributeError(f"module 'visitor.bench' has no attribute {name!r}")
