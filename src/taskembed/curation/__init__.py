"""Training-data curation (jina-embeddings v1): filters over files far larger than memory.

Dedup, language id, consistency, margin and overlap; resumable, with reports.
Needs ``pip install 'taskembed[curation]'``.
"""
