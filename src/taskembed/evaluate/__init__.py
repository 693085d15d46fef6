"""Evaluation the way MTEB computes it: STS and retrieval so far.

Needs the ``eval`` extra: ``pip install 'taskembed[eval]'`` (scipy, scikit-learn, pytrec-eval-terrier).
"""
