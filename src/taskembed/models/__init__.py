"""Resolving model references and loading checkpoints into a LoadedModel."""
