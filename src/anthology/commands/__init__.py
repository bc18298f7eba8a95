"""The commands of the CLI as plain functions: no Click in here, so tests call them directly."""
