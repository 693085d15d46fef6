"""The embedding pipeline, one module per stage."""
