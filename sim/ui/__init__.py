"""The pygame front end (README, Playing in a seminar): imports the model, never imported by it."""
