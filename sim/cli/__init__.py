"""Command-line front end (click + rich); imports the model, never imported by it."""
