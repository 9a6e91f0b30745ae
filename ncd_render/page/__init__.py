"""Page composition: a figure fitted to a page or column at its theme's label size."""
