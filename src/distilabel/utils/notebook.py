"""Whether the code runs in a notebook (distilabel 1.5's ``distilabel.utils.notebook``)."""


def in_notebook() -> bool:
    """Whether the code runs in a Jupyter kernel (an IPython shell started by ``IPKernelApp``)."""
    try:
        from IPython import get_ipython  # type: ignore[import-not-found]
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


__all__ = ["in_notebook"]
