"""The model contract shared by training and serving."""
