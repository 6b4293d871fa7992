"""Terminal layouts of the CLI's reports (rich tables), kept apart from the commands that fetch
the data, so a command reads as its steps and a layout can change without touching them."""
