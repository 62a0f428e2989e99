"""Export: SavedModel with raw-input serving signature."""
