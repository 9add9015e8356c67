"""Pure layout builders: view data in, Dash components out."""
