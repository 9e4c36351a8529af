"""The kernel side: what a brief's notebook uses, through ``import briefkit as bk``.

| module | job |
|---|---|
| ``tables`` | ``table()`` rows at or below the brief's marking ceiling; ``table_info()`` metadata |
| ``sources`` | the record of tables a brief used; ``sources()`` shows the Sources section and provenance |
| ``prose`` | escaped Markdown prose, key points, briefing tables, number and date formats |
| ``charts`` | house-style Matplotlib figures as accessible, deterministic inline SVG |

Data flows one way: ``nb`` reads :mod:`briefkit.data`; nothing in the build imports ``nb``
except to read :data:`briefkit.nb.sources.PROVENANCE_MIME`.
"""
