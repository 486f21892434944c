"""The district's side of Linli: the server its communities push their figures to."""
