"""The pygame front end (DESIGN section 8): imports the model, never imported by it."""
