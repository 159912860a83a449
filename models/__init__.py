"""tomtat's model layer: profiles, backends, the text pipeline, summarizers and the translator.

Knows nothing of HTTP. Entry points: ``models.runtime.Runtime`` (the loaded
models) and ``models.pipeline`` (article → result).
"""
